package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * The activation of the dense layer right below a batch norm, whose backward pass the batch norm runs inside its own
 * (Backend.batchNormBackwardBetween), which saves a GPU step the launch of that pass. The engine decides where
 * (LayerContext#activationBelow).
 *
 * @param z     the dense layer's pre-activation, {@code rows x units}
 * @param f     its element-wise activation
 * @param alpha the activation's parameter
 * @param dbias where its bias gradient goes, or null without a bias
 */
public record ActivationBelow(Slice z, ActivationFunction f, float alpha, Slice dbias) {
}
