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
 */
public record InputGradient(Slice dz, Slice w, int units) {
}
