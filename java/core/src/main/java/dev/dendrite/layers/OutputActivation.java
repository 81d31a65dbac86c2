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

    /**
     * The forward pass and a softmax cross-entropy of its pre-activation as one op ({@code
     * Backend.denseSoftmaxCrossEntropy}: the same results as the pass and then the loss, which the GPU backends run
     * in one kernel), for a model whose loss fuses with this layer's softmax. Returns false, having issued nothing,
     * where this layer cannot (the default; a Dense layer with a softmax can).
     */
    default boolean forwardWithSoftmaxCrossEntropy(LayerContext ctx, Slice x, Slice y, Slice labels,
                                                   boolean sparseLabels, Slice probs, Slice dlogits, float gradScale,
                                                   Slice stats) {
        return false;
    }
}
