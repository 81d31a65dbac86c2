package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * An activation layer that is one of the backends' element-wise {@link ActivationFunction}s with its alpha
 * ({@link Activation}, {@link LeakyReLU}, {@link ELU}): the forward pass is the bias-free activation op, the backward its derivative.
 */
abstract class ElementwiseActivation extends ShapePreserving {
    private final ActivationFunction function;
    private final float alpha;
    /** The argument as given, which the config keeps (Keras writes the Python float, not its float32). */
    private final double alphaArgument;

    ElementwiseActivation(ActivationFunction function, double alpha) {
        this.function = function;
        this.alpha = (float) alpha;
        this.alphaArgument = alpha;
    }

    double alphaArgument() {
        return alphaArgument;
    }

    float alpha() {
        return alpha;
    }

    ActivationFunction function() {
        return function;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        ctx.backend().biasActivationForward(x, null, ctx.rows(), outputSize(), function, alpha, y);
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            ctx.backend().activationBackward(x, y, dy, ctx.rows(), outputSize(), function, alpha, dx, null);
        }
    }

    /**
     * The forward pass into {@code y}, and while training {@code dropout} (context {@code dropoutCtx}) of it into
     * {@code yDropped}: ActivationDropoutPair's, one op for both layers.
     */
    void forward(LayerContext ctx, Slice x, Slice y, Slice yDropped, boolean training, Dropout dropout,
                 LayerContext dropoutCtx) {
        if (!training) {
            forward(ctx, x, yDropped, false); // the dropout passes its input through
            return;
        }
        ctx.backend().activationDropoutForward(x, ctx.rows(), outputSize(), function, alpha, y, yDropped,
                dropout.rate(), dropoutCtx.seed(), dropoutCtx.layerIndex(), dropoutCtx.counters());
    }

    /** The backward pass of {@link #forward(LayerContext, Slice, Slice, Slice, boolean, Dropout, LayerContext)}. */
    void backward(LayerContext ctx, Slice x, Slice y, Slice dyDropped, Slice dx, Dropout dropout,
                  LayerContext dropoutCtx) {
        if (dx != null) {
            ctx.backend().activationDropoutBackward(x, y, dyDropped, ctx.rows(), outputSize(), function, alpha, dx,
                    null, dropout.rate(), dropoutCtx.seed(), dropoutCtx.layerIndex(), dropoutCtx.counters());
        }
    }
}
