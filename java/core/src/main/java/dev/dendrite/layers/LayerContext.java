package dev.dendrite.layers;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * What the engine gives a layer for one pass: the backend, the slices holding the layer's weights, their
 * gradients and its scratch buffers, the number of rows in the current batch, and the step state dropout
 * needs.
 */
public interface LayerContext {
    Backend backend();

    /** Rows in the current batch. */
    int rows();

    /** Weight {@code i} of {@link Layer#weights()}. */
    Slice weight(int i);

    /** The gradient of trainable weight {@code i}; null for non-trainable weights. */
    Slice grad(int i);

    /** Scratch buffer {@code i} of {@link Layer#scratchSizes(int)}. */
    Slice scratch(int i);

    /** The device step counters (see {@link Backend#COUNTER_STEP}). */
    Slice counters();

    /** The seed of this training run (dropout masks derive from it). */
    long seed();

    /** This layer's position in the model, distinct per layer: the dropout stream id. */
    int layerIndex();
}
