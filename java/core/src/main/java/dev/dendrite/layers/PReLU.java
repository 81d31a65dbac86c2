package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Slice;
import dev.dendrite.constraints.Constraint;
import dev.dendrite.initializers.Constant;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.regularizers.Regularizer;

/**
 * Keras's {@code PReLU} layer (He et al., 2015): {@code x} for {@code x > 0}, {@code alpha * x} otherwise, with
 * a trainable {@code alpha} per input value (Keras's default {@code shared_axes=None}), starting at zero
 * ({@code alpha_initializer="zeros"}). Keras computes it as {@code relu(x) - alpha * relu(-x)}, so its derivative
 * with respect to {@code x} at 0 is 0. The gradient of alpha is a per-unit sum over the batch, made on the device
 * in the same pass as the input's gradient.
 */
public final class PReLU extends ShapePreserving {
    private Initializer alphaInitializer = Constant.zeros();
    private Regularizer alphaRegularizer;
    private Constraint alphaConstraint;

    public PReLU alphaInitializer(String name) {
        return alphaInitializer(Initializer.fromName(name));
    }

    public PReLU alphaInitializer(Initializer initializer) {
        this.alphaInitializer = Dense.requireNonNull(initializer, "PReLU alpha initializer");
        return this;
    }

    /** Penalty on alpha, or null for none. */
    public PReLU alphaRegularizer(Regularizer regularizer) {
        this.alphaRegularizer = regularizer;
        return this;
    }

    /** A constraint applied to alpha after each update ({@code new NonNeg()}: a leak that never flips), or null. */
    public PReLU alphaConstraint(Constraint constraint) {
        this.alphaConstraint = constraint;
        return this;
    }

    /** The constraint on alpha, or null. */
    public Constraint alphaConstraint() {
        return alphaConstraint;
    }

    @Override
    public String className() {
        return "PReLU";
    }

    @Override
    public List<WeightSpec> weights() {
        return List.of(new WeightSpec("alpha", outputShape(), alphaInitializer, alphaRegularizer, alphaConstraint,
                true));
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        ctx.backend().preluForward(x, ctx.weight(0), ctx.rows(), outputSize(), y);
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        ctx.backend().preluBackward(x, ctx.weight(0), dy, ctx.rows(), outputSize(), dx, ctx.grad(0));
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("alpha_initializer", Dense.initializerConfig(alphaInitializer));
        m.put("alpha_regularizer", alphaRegularizer == null ? null : alphaRegularizer.config());
        m.put("alpha_constraint", alphaConstraint == null ? null : alphaConstraint.serialize());
        m.put("shared_axes", null);
        return m;
    }
}
