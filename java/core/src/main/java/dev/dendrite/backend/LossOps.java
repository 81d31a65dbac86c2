package dev.dendrite.backend;

/**
 * The loss family of the op set; each loss adds to {@code stats} ({@link Backend#STAT_LOSS},
 * {@link Backend#STAT_ACCURACY}). Sparse labels outside {@code [0, cols)} are the implementation's to report (at
 * once, or from the device).
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface LossOps {
    /**
     * Fused, numerically stable softmax + cross-entropy. Overwrites {@code probs = softmax(logits)} row-wise.
     * Labels are class indices ({@link DType#I32}, length {@code rows}) when {@code sparseLabels}, else target
     * distributions (F32, {@code rows x cols}). Adds the summed per-row loss {@code -sum t * log p} to
     * {@code stats[STAT_LOSS]} and the number of rows whose arg-max matches the label's to
     * {@code stats[STAT_ACCURACY]}. If {@code dlogits} is non-null, overwrites it with
     * {@code gradScale * (p - t)}. Sparse labels outside {@code [0, cols)} are the caller's error.
     */
    default void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                     Slice probs, Slice dlogits, float gradScale, Slice stats) {
        softmaxCrossEntropy(logits, labels, sparseLabels, rows, cols, null, null, probs, dlogits, gradScale, stats);
    }

    /**
     * {@link #softmaxCrossEntropy(Slice, Slice, boolean, int, int, Slice, Slice, float, Slice)} with Keras's
     * {@code class_weight} and {@code sample_weight}: a row's loss and gradient are multiplied by the weight of its
     * class in {@code classWeights} (F32, length {@code cols}; the class is its label, or the arg-max of its target,
     * first on ties) and by its own weight in {@code rowWeights} (F32, length {@code rows}), while its accuracy is not
     * (Keras 3 weights the loss, not the compiled metrics). Either may be null: weights of 1.
     */
    void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols, Slice classWeights,
                             Slice rowWeights, Slice probs, Slice dlogits, float gradScale, Slice stats);

    /**
     * Fused, numerically stable sigmoid + binary cross-entropy on F32 targets in {@code [0, 1]}. Overwrites
     * {@code probs = sigmoid(logits)}. A row's loss is the mean over its {@code cols} outputs (as Keras's
     * {@code binary_crossentropy}); its accuracy the fraction of outputs with {@code (p > 0.5) == (t > 0.5)}.
     * If {@code dlogits} is non-null, overwrites it with {@code gradScale * (p - t) / cols}.
     */
    default void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols,
                                     Slice probs, Slice dlogits, float gradScale, Slice stats) {
        sigmoidCrossEntropy(logits, targets, rows, cols, null, null, probs, dlogits, gradScale, stats);
    }

    /**
     * {@link #sigmoidCrossEntropy(Slice, Slice, int, int, Slice, Slice, float, Slice)} with Keras's
     * {@code class_weight} for a binary classifier and {@code sample_weight}: where {@code classWeights} (F32,
     * length 2: class 0, class 1) is not null, {@code cols} must be 1, and a row's loss and gradient are multiplied by
     * the weight of its class, 1 where {@code t > 0.5} else 0 (Keras rounds the target, half to even); where
     * {@code rowWeights} (F32, length {@code rows}) is not null, by the row's own weight too. Its accuracy is not.
     */
    void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice classWeights, Slice rowWeights,
                             Slice probs, Slice dlogits, float gradScale, Slice stats);

    /**
     * A regression loss ({@link RegressionKind}): a row's loss is the mean over its {@code cols} outputs of the kind's
     * term of {@code d = pred - t} ({@code delta}: Huber's, ignored by the others); its accuracy is 1 when the arg-max
     * of pred and target agree ({@code cols > 1}) or when {@code |pred - t| < 0.5} ({@code cols == 1}). If
     * {@code dpred} is non-null, overwrites it with {@code gradScale * term'(d) / cols}.
     */
    default void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                                Slice dpred, float gradScale, Slice stats) {
        regressionLoss(pred, targets, rows, cols, kind, delta, null, dpred, gradScale, stats);
    }

    /**
     * {@link #regressionLoss(Slice, Slice, int, int, RegressionKind, float, Slice, float, Slice)} with Keras's
     * {@code sample_weight}: where {@code rowWeights} (F32, length {@code rows}) is not null, a row's loss and
     * gradient are multiplied by its weight; its accuracy is not.
     */
    void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                        Slice rowWeights, Slice dpred, float gradScale, Slice stats);

    /**
     * Mean squared error, {@link #regressionLoss} of {@link RegressionKind#SQUARED_ERROR}: a row's loss is
     * {@code mean over cols of (pred - t)^2}, and {@code dpred = gradScale * 2 (pred - t) / cols}.
     */
    default void meanSquaredError(Slice pred, Slice targets, int rows, int cols,
                                  Slice dpred, float gradScale, Slice stats) {
        regressionLoss(pred, targets, rows, cols, RegressionKind.SQUARED_ERROR, 0f, dpred, gradScale, stats);
    }
}
