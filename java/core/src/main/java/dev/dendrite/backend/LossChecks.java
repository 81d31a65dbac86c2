package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

import java.util.Objects;

/**
 * The checks of the loss and regularizer families ({@link LossOps}, {@link RegularizerOps}): the ops that add
 * to {@code stats}.
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface LossChecks extends SliceChecks {
    /**
     * Sparse labels are I32 class indices, one per row; dense ones an F32 matrix. {@code classWeights} (F32, one per
     * class), {@code rowWeights} (F32, one per row) and {@code dlogits} may be null.
     */
    default void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                     Slice classWeights, Slice rowWeights, Slice probs, Slice dlogits, Slice stats) {
        String op = "softmaxCrossEntropy";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        sliceOrNull(op, "classWeights", classWeights, DType.F32, cols, "cols");
        sliceOrNull(op, "rowWeights", rowWeights, DType.F32, rows, "rows");
        matrix(op, "logits", logits, rows, cols);
        if (sparseLabels) {
            slice(op, "labels", labels, DType.I32, rows, "rows");
        } else {
            matrix(op, "labels", labels, rows, cols);
        }
        matrix(op, "probs", probs, rows, cols);
        matrixOrNull(op, "dlogits", dlogits, rows, cols);
        stats(op, stats);
        long total = (long) rows * cols;
        long labelLength = sparseLabels ? rows : total;
        int statsLength = Backend.STATS_LENGTH;
        noOverlap(op, "probs", probs, total, "logits", logits, total, false);
        noOverlap(op, "probs", probs, total, "labels", labels, labelLength, false);
        noOverlap(op, "stats", stats, statsLength, "logits", logits, total, false);
        noOverlap(op, "stats", stats, statsLength, "labels", labels, labelLength, false);
        noOverlap(op, "stats", stats, statsLength, "probs", probs, total, false);
        if (dlogits != null) {
            noOverlap(op, "dlogits", dlogits, total, "logits", logits, total, false);
            noOverlap(op, "dlogits", dlogits, total, "labels", labels, labelLength, false);
            noOverlap(op, "dlogits", dlogits, total, "probs", probs, total, false);
            noOverlap(op, "stats", stats, statsLength, "dlogits", dlogits, total, false);
        }
        weightsApart(op, "classWeights", classWeights, cols, total, probs, "dlogits", dlogits, stats);
        weightsApart(op, "rowWeights", rowWeights, rows, total, probs, "dlogits", dlogits, stats);
    }

    /**
     * {@code classWeights}, {@code rowWeights} and {@code dlogits} may be null; class weights need one output (a binary
     * classifier).
     */
    default void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice classWeights,
                                     Slice rowWeights, Slice probs, Slice dlogits, Slice stats) {
        String op = "sigmoidCrossEntropy";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        sliceOrNull(op, "rowWeights", rowWeights, DType.F32, rows, "rows");
        if (classWeights != null) {
            if (cols != 1) {
                throw new IllegalArgumentException(op + ": class weights with cols " + cols + "; expected cols 1 (a "
                        + "binary classifier, whose class is its rounded target)");
            }
            slice(op, "classWeights", classWeights, DType.F32, 2, "2 (classes 0 and 1)");
        }
        matrices(op, rows, cols, "logits", logits, "targets", targets, "probs", probs);
        matrixOrNull(op, "dlogits", dlogits, rows, cols);
        stats(op, stats);
        long total = (long) rows * cols;
        checkLossOverlaps(op, "probs", probs, logits, targets, stats, total);
        if (dlogits != null) {
            checkLossOverlaps(op, "dlogits", dlogits, logits, targets, stats, total);
            noOverlap(op, "dlogits", dlogits, total, "probs", probs, total, false);
        }
        weightsApart(op, "classWeights", classWeights, 2, total, probs, "dlogits", dlogits, stats);
        weightsApart(op, "rowWeights", rowWeights, rows, total, probs, "dlogits", dlogits, stats);
    }

    /** The op's outputs ({@code probs} may be null) must not overwrite the weights it reads (null passes). */
    private void weightsApart(String op, String name, Slice weights, int length, long total, Slice probs,
                              String gradName, Slice grad, Slice stats) {
        if (weights == null) {
            return;
        }
        if (probs != null) {
            noOverlap(op, "probs", probs, total, name, weights, length, false);
        }
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, name, weights, length, false);
        if (grad != null) {
            noOverlap(op, gradName, grad, total, name, weights, length, false);
        }
    }

    /** {@code rowWeights} and {@code dpred} may be null. */
    default void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                                Slice rowWeights, Slice dpred, Slice stats) {
        String op = "regressionLoss";
        Objects.requireNonNull(kind, op + ": kind is null");
        if (kind == RegressionKind.HUBER && !(delta > 0f && Float.isFinite(delta))) {
            throw new IllegalArgumentException(op + ": Huber delta " + delta + "; expected a finite value > 0");
        }
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        matrices(op, rows, cols, "pred", pred, "targets", targets);
        matrixOrNull(op, "dpred", dpred, rows, cols);
        sliceOrNull(op, "rowWeights", rowWeights, DType.F32, rows, "rows");
        stats(op, stats);
        long total = (long) rows * cols;
        apart(op, "stats", stats, Backend.STATS_LENGTH, total, "pred", pred, "targets", targets);
        if (dpred != null) {
            checkLossOverlaps(op, "dpred", dpred, pred, targets, stats, total);
        }
        weightsApart(op, "rowWeights", rowWeights, rows, total, null, "dpred", dpred, stats);
    }

    default void regularizerGradient(Slice w, Slice grad, int n) {
        String op = "regularizerGradient";
        nonNegative(op, "n", n);
        vectors(op, n, "w", w, "grad", grad);
        noOverlap(op, "grad", grad, n, "w", w, n, false);
    }

    default void regularizerPenalty(Slice w, int n, Slice stats) {
        String op = "regularizerPenalty";
        nonNegative(op, "n", n);
        vector(op, "w", w, n);
        stats(op, stats);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "w", w, n, false);
    }

    default void normConstraint(Slice w, int rows, int cols, int axis, float minValue, float maxValue, float rate) {
        String op = "normConstraint";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        if (axis != 0 && axis != 1) {
            throw new IllegalArgumentException(op + ": axis " + axis + "; expected 0 (each column's norm) or 1 (each "
                    + "row's)");
        }
        if (!(minValue >= 0f) || !(maxValue >= minValue) || Float.isInfinite(maxValue)) {
            throw new IllegalArgumentException(op + ": minValue " + minValue + ", maxValue " + maxValue
                    + "; expected finite values with 0 <= minValue <= maxValue");
        }
        unitInterval(op, "rate", rate);
        matrix(op, "w", w, rows, cols);
    }

    default void nonNegConstraint(Slice w, int n) {
        String op = "nonNegConstraint";
        nonNegative(op, "n", n);
        vector(op, "w", w, n);
    }
}
