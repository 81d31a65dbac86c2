package dev.dendrite.layers;

import dev.dendrite.backend.Slice;

/**
 * Two adjacent layers that a model runs as one, with the same results as the two layers' passes bit for bit and
 * fewer ops: {@link DenseActivationPair} (a linear Dense and its activation layer), {@link DenseDropoutPair} (a
 * Dense and the Dropout after it), {@link ActivationDropoutPair} (an activation layer and the Dropout after it),
 * {@link BatchNormDropoutPair} (a BatchNormalization and the Dropout after it).
 * The model gives each pass both layers' contexts, the first layer's input, the first layer's output buffer
 * ({@code mid}, which a pair may use or leave alone) and the second layer's output.
 */
public abstract class LayerPair {
    LayerPair() {
    }

    /** The pair that {@code first} and the layer after it, {@code second}, make, or null when they make none. */
    public static LayerPair of(Layer first, Layer second) {
        LayerPair p = DenseActivationPair.of(first, second);
        if (p == null) {
            p = DenseDropoutPair.of(first, second);
        }
        if (p == null) {
            p = ActivationDropoutPair.of(first, second);
        }
        return p != null ? p : BatchNormDropoutPair.of(first, second);
    }

    /** Both layers' forward pass: {@code y}, the second layer's output, from {@code x}, the first layer's input. */
    public abstract void forward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y,
                                 boolean training);

    /**
     * Both layers' backward pass from the second layer's output {@code y} and its gradient {@code dy} (left
     * undefined), to the gradient of {@code x} ({@code dx}; null when nothing before needs it) and the layers'
     * weight gradients.
     */
    public abstract void backward(LayerContext first, LayerContext second, Slice x, Slice mid, Slice y, Slice dy,
                                  Slice dx);
}
