package dev.dendrite.backend;

/**
 * The loss family of a backend: {@link Backend#softmaxCrossEntropy}, {@link Backend#sigmoidCrossEntropy}
 * and {@link Backend#meanSquaredError}, called by {@link AbstractBackend} once their checks have passed. Sparse
 * labels outside {@code [0, cols)} are the implementation's to report (at once, or from the device).
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface LossOps {
    void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols, Slice probs,
                             Slice dlogits, float gradScale, Slice stats);

    void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice probs, Slice dlogits,
                             float gradScale, Slice stats);

    void meanSquaredError(Slice pred, Slice targets, int rows, int cols, Slice dpred, float gradScale, Slice stats);
}
