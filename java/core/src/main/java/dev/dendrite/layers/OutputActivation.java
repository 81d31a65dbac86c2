package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * A layer that ends in an activation a loss can fuse with (softmax before cross-entropy, sigmoid before
 * binary cross-entropy): the loss then reads the pre-activation and hands back the gradient with respect to
 * it, skipping the activation's own backward pass.
 */
public interface OutputActivation {
    ActivationFunction activation();

    /** The pre-activation of the last forward pass ({@code rows x outputSize}). */
    Slice preActivation(LayerContext ctx, Slice x);

    /** The backward pass given the gradient with respect to the pre-activation. */
    void backwardFromPreActivation(LayerContext ctx, Slice x, Slice dz, Slice dx);
}
