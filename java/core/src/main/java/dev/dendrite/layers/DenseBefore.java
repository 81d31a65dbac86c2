package dev.dendrite.layers;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * A dense layer's training forward pass, not yet issued: left by that layer for the batch norm right after it to run
 * with its own (Backend.denseBatchNormForward), which saves a GPU step a kernel. The engine decides where
 * (LayerContext#handsOffForward).
 *
 * @param x     the dense layer's input, {@code rows x k}
 * @param w     its weights, {@code k x units}
 * @param bias  its bias, or null
 * @param k     its input width
 * @param f     its element-wise activation (its own, or that of the activation layer it runs with)
 * @param alpha the activation's parameter
 * @param z     where its pre-activation goes
 * @param y     where its output goes: the batch norm's input
 */
public record DenseBefore(Slice x, Slice w, Slice bias, int k, ActivationFunction f, float alpha, Slice z, Slice y) {
}
