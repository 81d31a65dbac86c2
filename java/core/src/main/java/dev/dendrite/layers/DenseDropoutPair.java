package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * A {@link Dense} layer and the {@link Dropout} right after it (a rate above 0), the courses' {@code Dense(512,
 * activation="relu"), Dropout(0.2)}, run as one: while training, {@code Backend.denseDropoutForward} and {@code
 * activationDropoutBackward}, which the GPU backends issue with the dropout inside the bias-and-activation kernel (it
 * writes the layer's output and the dropped one) and inside the derivative's kernel (it drops each gradient as it
 * reads it): one launch less each way. At inference the Dense layer writes the dropout's output, which is its input
 * unchanged. Not for a softmax Dense.
 *
 * <p>The results are the same bits as the two layers': the same outputs through the same mask (Philox, a pure
 * function of seed, step, position and the Dropout layer's index), and the same dropped gradient times the same
 * derivative. The Dense layer's own output goes to its usual buffer ({@code mid}), where the derivative may read it.
 */
public final class DenseDropoutPair extends LayerPair {
    private final Dense dense;
    private final Dropout dropout;

    private DenseDropoutPair(Dense dense, Dropout dropout) {
        this.dense = dense;
        this.dropout = dropout;
    }

    /** The pair that {@code first} and {@code second} make, or null when they cannot run as one. */
    public static DenseDropoutPair of(Layer first, Layer second) {
        if (first instanceof Dense d && d.activation() != ActivationFunction.SOFTMAX && second instanceof Dropout p
                && p.rate() > 0) {
            return new DenseDropoutPair(d, p);
        }
        return null;
    }

    @Override
    public void forward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, boolean training) {
        dense.forward(first, x, mid, y, training, dropout, second);
    }

    @Override
    public void backward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, Slice dy,
                         Slice dx) {
        dense.backward(first, x, mid, dy, dx, dropout, second);
    }
}
