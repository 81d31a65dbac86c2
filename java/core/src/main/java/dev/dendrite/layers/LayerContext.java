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

    /**
     * Where a pass that computes the loss adds it ({@code Backend.STAT_LOSS}, per-sample sums over the epoch), for a
     * layer that adds to the loss ({@link ActivityRegularization}); null in a pass without a loss (predict).
     */
    default Slice lossStats() {
        return null;
    }

    /** The device step counters (see {@link Backend#COUNTER_STEP}). */
    Slice counters();

    /** The seed of this training run (dropout masks derive from it). */
    long seed();

    /** This layer's position in the model, distinct per layer: the dropout stream id. */
    int layerIndex();

    /**
     * Whether the layer trains, as compiled ({@link Layer#isTrainable}): a frozen batch norm runs in inference mode
     * while training, as in Keras 3, and a frozen layer's backward pass computes no weight gradients (only its input
     * gradient, where a layer below trains).
     */
    default boolean trainable() {
        return true;
    }

    /**
     * Whether this (dense) layer's backward pass leaves its input gradient's product to the dense layer below
     * ({@link #handOff}) instead of computing it into {@code dx}; the engine decides, where the layer below takes it.
     */
    default boolean handsOffInputGradient() {
        return false;
    }

    /**
     * Whether this (dense) layer, handing off its input gradient, leaves its weight gradient {@code x^T dz} to the
     * layer below too ({@link InputGradient#dw}), which computes it in the same op; the engine decides, where that
     * layer's output is this layer's input and the backend computes it there
     * (Backend.weightGradientWithInputGradient). Only where {@link #handsOffInputGradient} is true.
     */
    default boolean handsOffWeightGradient() {
        return false;
    }

    /** Called instead of computing {@code dx} where {@link #handsOffInputGradient} is true. */
    default void handOff(InputGradient g) {
        throw new UnsupportedOperationException("this context takes no input gradient");
    }

    /**
     * The input gradient the dense layer above left to this one ({@link #handOff}), or null: where non-null, this
     * layer's {@code dy} is not computed, and its backward pass computes it inside its first op.
     */
    default InputGradient inputGradientFromAbove() {
        return null;
    }

    /**
     * Called by a layer right after it issued the op that computes {@link #inputGradientFromAbove}'s product, the
     * last read of the weights of the layer above in this step, when more of its backward pass follows: from here on
     * the engine may issue that layer's update, beside the rest of this layer's backward pass instead of after it.
     * A layer whose backward pass is that one op need not call it (the batch norm): the engine then issues the
     * update after it, in one op with the layer's own where their parameters lie side by side.
     */
    default void inputGradientTaken() {
    }

    /**
     * For a batch norm: the activation of the dense layer below whose backward pass it runs inside its own, or null.
     * The engine decides, where that layer then skips it ({@link #activationBackwardDoneAbove}).
     */
    default ActivationBelow activationBelow() {
        return null;
    }

    /**
     * For a dense layer: whether the batch norm above already ran the backward pass of this layer's activation
     * ({@link #activationBelow}): {@code dy} then holds the gradient at the pre-activation, and the bias gradient is
     * written.
     */
    default boolean activationBackwardDoneAbove() {
        return false;
    }

    /**
     * For a dense layer, while training: whether it leaves its forward pass to the batch norm right after it
     * ({@link #handOffForward}) instead of issuing it; the engine decides, where that batch norm takes it.
     */
    default boolean handsOffForward() {
        return false;
    }

    /** Called instead of issuing the forward pass where {@link #handsOffForward} is true. */
    default void handOffForward(DenseBefore d) {
        throw new UnsupportedOperationException("this context takes no forward pass");
    }

    /** For a batch norm: the forward pass of the dense layer before it, to run with its own, or null. */
    default DenseBefore denseBefore() {
        return null;
    }

    /**
     * For an output layer that runs its forward pass with the loss: records whether the backend wrote the layer's bias
     * gradient there (Backend.denseSoftmaxCrossEntropy with one), which the backward pass of this step then skips.
     * The engine forgets it at the start of every forward pass with the loss. A context that keeps nothing (the
     * default) costs the backward pass the column sums again, with the same bits.
     */
    default void biasGradientWrittenByLoss(boolean written) {
    }

    /** Whether this step's forward pass with the loss wrote the layer's bias gradient (as recorded above). */
    default boolean biasGradientWrittenByLoss() {
        return false;
    }
}
