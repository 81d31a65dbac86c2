package dev.dendrite.layers;

import dev.dendrite.backend.Slice;

/**
 * A dense layer's input gradient {@code dz w^T}, not yet computed: left by that layer's backward pass for the dense
 * layer below to compute inside its own (Backend.inputGradientActivationBackward), which saves a GPU step the launch
 * of the product. The engine decides where (LayerContext#handsOffInputGradient).
 *
 * @param dz    the upper layer's gradient at its pre-activation, {@code rows x units}
 * @param w     the upper layer's weights, {@code inputs x units}
 * @param units the upper layer's width, the product's depth
 * @param dw    the upper layer's weight gradient {@code x^T dz}, {@code inputs x units}, also left to the layer below
 *              (whose output is x: LayerContext#handsOffWeightGradient); null where the upper layer computed it
 */
public record InputGradient(Slice dz, Slice w, int units, Slice dw) {
}
