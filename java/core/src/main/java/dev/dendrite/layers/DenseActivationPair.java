package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * A linear {@link Dense} layer and the element-wise activation layer right after it ({@link Activation} other than
 * softmax, {@link LeakyReLU}, {@link ELU}), run as one Dense with that activation: the Keras idiom
 * {@code Dense(256), Activation("relu")} (or with BatchNormalization after the activation) then costs the ops of
 * {@code Dense(256, "relu")}, one element-wise pass less in each direction.
 *
 * <p>The results are the same bits as the two layers' passes. Forward, the linear Dense writes {@code z = x kernel +
 * bias} and its output equal to {@code z}, and the activation layer computes {@code f} of that; the pair computes
 * {@code f(z)} from the same {@code z}. Backward, the activation layer computes {@code dy * f'} from the same
 * {@code z} and output, and the linear Dense takes it unchanged (the identity's derivative) and sums its columns
 * for the bias gradient; the pair computes the same product and sums it in the same pass. What the pair does not
 * write is the Dense layer's own output (the activation's input), which nothing but the activation layer reads.
 */
public final class DenseActivationPair extends LayerPair {
    private final Dense dense;
    private final ActivationFunction function;
    private final float alpha;

    private DenseActivationPair(Dense dense, ActivationFunction function, float alpha) {
        this.dense = dense;
        this.function = function;
        this.alpha = alpha;
    }

    /** The pair that {@code first} and {@code second} make, or null when they cannot run as one. */
    public static DenseActivationPair of(Layer first, Layer second) {
        if (!(first instanceof Dense d) || d.activation() != ActivationFunction.LINEAR
                || !(second instanceof ElementwiseActivation a) || a.function() == ActivationFunction.SOFTMAX) {
            return null;
        }
        return new DenseActivationPair(d, a.function(), a.alpha());
    }

    @Override
    public void forward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, boolean training) {
        dense.forward(first, x, y, function, alpha);
    }

    /** The pair's activation as the batch norm above sees it (Dense#activationBelow). */
    public ActivationBelow activationBelow(LayerContext first, Slice y) {
        return dense.activationBelow(first, y, function, alpha);
    }

    @Override
    public void backward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, Slice dy,
                         Slice dx) {
        dense.backward(first, x, y, dy, dx, function, alpha);
    }
}
