package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * An element-wise activation layer ({@link Activation} other than softmax, {@link LeakyReLU}, {@link ELU}) and the
 * {@link Dropout} right after it (a rate above 0), as courses write {@code Dense(256), BatchNormalization(),
 * Activation("relu"), Dropout(0.2)}, run as one: while training, {@code Backend.activationDropoutForward} and
 * {@code activationDropoutBackward}, which the GPU backends issue as one kernel each way. At inference the
 * activation layer writes the dropout's output, which is its input unchanged.
 *
 * <p>The results are the same bits as the two layers': the same activation through the same mask (Philox, a pure
 * function of seed, step, position and the Dropout layer's index), and the same dropped gradient times the same
 * derivative. The activation's own output goes to its usual buffer ({@code mid}), where the derivative may read it.
 */
public final class ActivationDropoutPair extends LayerPair {
    private final ElementwiseActivation activation;
    private final Dropout dropout;

    private ActivationDropoutPair(ElementwiseActivation activation, Dropout dropout) {
        this.activation = activation;
        this.dropout = dropout;
    }

    /** The pair that {@code first} and {@code second} make, or null when they cannot run as one. */
    public static ActivationDropoutPair of(Layer first, Layer second) {
        if (first instanceof ElementwiseActivation a && a.function() != ActivationFunction.SOFTMAX
                && second instanceof Dropout d && d.rate() > 0) {
            return new ActivationDropoutPair(a, d);
        }
        return null;
    }

    @Override
    public void forward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, boolean training) {
        activation.forward(first, x, mid, y, training, dropout, second);
    }

    @Override
    public void backward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, Slice dy,
                         Slice dx) {
        activation.backward(first, x, mid, dy, dx, dropout, second);
    }
}
