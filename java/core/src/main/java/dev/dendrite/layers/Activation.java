package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * Applies an activation on its own, as Keras's {@code Activation("relu")} and {@code LeakyReLU} layers:
 * useful after {@link BatchNormalization}, which normalises pre-activations.
 */
public final class Activation extends ElementwiseActivation implements OutputActivation {

    public Activation(String activation) {
        this(ActivationFunction.fromName(activation));
    }

    public Activation(ActivationFunction activation) {
        this(activation, activation.defaultAlpha());
    }

    public Activation(ActivationFunction activation, double alpha) {
        super(checked(activation, alpha), alpha);
    }

    private static ActivationFunction checked(ActivationFunction activation, double alpha) {
        if (activation == null) {
            throw new IllegalArgumentException("activation is null");
        }
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("activation alpha " + alpha + "; expected a finite number");
        }
        return activation;
    }

    /**
     * Keras's {@code LeakyReLU(negative_slope)} layer (its default slope is 0.3, unlike the 0.2 of the
     * {@code leaky_relu} function).
     */
    public static Activation leakyRelu(double negativeSlope) {
        return new Activation(ActivationFunction.LEAKY_RELU, negativeSlope);
    }

    @Override
    public ActivationFunction activation() {
        return function();
    }

    @Override
    public String className() {
        return "Activation";
    }

    @Override
    public Slice preActivation(LayerContext ctx, Slice x) {
        return x;
    }

    @Override
    public void backwardFromPreActivation(LayerContext ctx, Slice x, Slice dz, Slice dx) {
        if (dx != null) {
            ctx.backend().copy(dz.slice(0, ctx.rows() * outputSize()), dx.slice(0, ctx.rows() * outputSize()));
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("activation", function().kerasName());
        m.put("alpha", (double) alpha());
        return m;
    }
}
