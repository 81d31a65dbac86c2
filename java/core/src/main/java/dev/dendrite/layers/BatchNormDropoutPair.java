package dev.dendrite.layers;

import dev.dendrite.backend.Slice;

/**
 * A {@link BatchNormalization} and the {@link Dropout} right after it (a rate above 0), run as one: while training,
 * {@code Backend.batchNormDropoutForward} and {@code batchNormDropoutBackward}, which the GPU backends issue with
 * the dropout inside the batch norm's kernels (one launch less each way); at inference the batch norm writes the
 * dropout's output, which is its input unchanged.
 *
 * <p>The results are the same bits as the two layers': the same normalised values through the same dropout mask
 * (Philox, a pure function of seed, step, position and the Dropout layer's index), and the batch norm's backward pass
 * reads the same dropped gradient, which does not depend on the batch norm's output.
 */
public final class BatchNormDropoutPair extends LayerPair {
    private final BatchNormalization norm;
    private final Dropout dropout;

    private BatchNormDropoutPair(BatchNormalization norm, Dropout dropout) {
        this.norm = norm;
        this.dropout = dropout;
    }

    /** The pair that {@code first} and {@code second} make, or null when they cannot run as one. */
    public static BatchNormDropoutPair of(Layer first, Layer second) {
        if (first instanceof BatchNormalization n && second instanceof Dropout d && d.rate() > 0) {
            return new BatchNormDropoutPair(n, d);
        }
        return null;
    }

    @Override
    public void forward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, boolean training) {
        norm.forward(first, x, y, training, dropout, second);
    }

    @Override
    public void backward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, Slice dy,
                         Slice dx) {
        norm.backward(first, x, dy, dx, dropout, second);
    }
}
