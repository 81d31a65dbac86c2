package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the activation family ({@link ActivationOps}).
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface ActivationChecks extends SliceChecks {
    /** {@code bias} may be null; {@code y} may be {@code z} exactly for LINEAR only. */
    default void biasActivationForward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, Slice y) {
        String op = "biasActivationForward";
        requireActivation(op, f);
        sizes(op, rows, cols);
        matrices(op, rows, cols, "z", z, "y", y);
        perColumnOrNull(op, "bias", bias, cols);
        long total = (long) rows * cols;
        // In place would destroy the pre-activation the backward pass needs, except for LINEAR where z == y.
        noOverlap(op, "y", y, total, "z", z, total, f == ActivationFunction.LINEAR);
        if (bias != null) {
            noOverlap(op, "z", z, total, "bias", bias, cols, false);
            noOverlap(op, "y", y, total, "bias", bias, cols, false);
        }
    }

    /**
     * inputGradientActivationBackward's upper weight gradient {@code dwNext = y^T dzNext}: an F32 {@code cols x k}
     * slice that overlaps no other argument (the op's own checks cover the rest), and no Dropout between the layers.
     */
    default void weightGradientBeside(Slice dzNext, Slice wNext, Slice dwNext, int k, Slice z, Slice y, int rows,
                                      int cols, Slice dz, Slice dbias, float rate, Slice counters) {
        String op = "inputGradientActivationBackward";
        nonNegative(op, "k", k);
        f32(op, "dwNext", dwNext, (long) cols * k, "cols*k");
        noDropoutUnderWeightGradient(rate, counters);
        long dwLen = (long) cols * k;
        long total = (long) rows * cols;
        noOverlap(op, "dwNext", dwNext, dwLen, "dzNext", dzNext, (long) rows * k, false);
        noOverlap(op, "dwNext", dwNext, dwLen, "wNext", wNext, (long) cols * k, false);
        noOverlap(op, "dwNext", dwNext, dwLen, "z", z, total, false);
        noOverlap(op, "dwNext", dwNext, dwLen, "y", y, total, false);
        noOverlap(op, "dwNext", dwNext, dwLen, "dz", dz, total, false);
        noOverlap(op, "dwNext", dwNext, dwLen, "dbias", dbias, cols, false);
    }

    /** {@code dz} may be {@code dy} exactly; {@code dbias} (may be null) overlaps nothing. */
    default void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, Slice dz,
                                    Slice dbias) {
        String op = "activationBackward";
        requireActivation(op, f);
        sizes(op, rows, cols);
        matrices(op, rows, cols, "z", z, "y", y, "dy", dy);
        matrix(op, "dz", dz, rows, cols);
        perColumnOrNull(op, "dbias", dbias, cols);
        long total = (long) rows * cols;
        noOverlap(op, "dz", dz, total, "dy", dy, total, true);
        apart(op, "dz", dz, total, total, "z", z, "y", y);
        if (dbias != null) {
            apart(op, "dbias", dbias, cols, total, "dz", dz, "dy", dy, "z", z, "y", y);
        }
    }

    /** Finite slope and threshold, a max value >= 0 (infinite for none); {@code y} may be {@code x} exactly. */
    default void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        String op = "reluForward";
        reluScalars(op, n, negativeSlope, maxValue, threshold);
        vectors(op, n, "x", x, "y", y);
        noOverlap(op, "y", y, n, "x", x, n, true);
    }

    /** {@code dx} may be {@code dy} exactly, and overlaps nothing else. */
    default void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                              Slice dx) {
        String op = "reluBackward";
        reluScalars(op, n, negativeSlope, maxValue, threshold);
        vectors(op, n, "x", x, "dy", dy, "dx", dx);
        noOverlap(op, "dx", dx, n, "dy", dy, n, true);
        noOverlap(op, "dx", dx, n, "x", x, n, false);
    }

    private static void reluScalars(String op, int n, float negativeSlope, float maxValue, float threshold) {
        nonNegative(op, "n", n);
        if (!Float.isFinite(negativeSlope) || !Float.isFinite(threshold)) {
            throw new IllegalArgumentException(op + ": negativeSlope " + negativeSlope + ", threshold " + threshold
                    + "; expected finite values");
        }
        if (!(maxValue >= 0f)) {
            throw new IllegalArgumentException(op + ": maxValue " + maxValue
                    + "; expected a value >= 0 (Float.POSITIVE_INFINITY for none)");
        }
    }

    /** {@code y} may be {@code x} exactly; {@code alpha} overlaps neither. */
    default void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        String op = "preluForward";
        sizes(op, rows, cols);
        matrix(op, "x", x, rows, cols);
        perColumn(op, "alpha", alpha, cols);
        matrix(op, "y", y, rows, cols);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, true);
        noOverlap(op, "y", y, total, "alpha", alpha, cols, false);
    }

    /** {@code dx} (may be null) may be {@code dy} exactly; {@code dalpha} overlaps nothing. */
    default void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        String op = "preluBackward";
        sizes(op, rows, cols);
        matrix(op, "x", x, rows, cols);
        perColumn(op, "alpha", alpha, cols);
        matrix(op, "dy", dy, rows, cols);
        matrixOrNull(op, "dx", dx, rows, cols);
        perColumn(op, "dalpha", dalpha, cols);
        long total = (long) rows * cols;
        noOverlap(op, "dx", dx, total, "dy", dy, total, true);
        noOverlap(op, "dx", dx, total, "x", x, total, false);
        noOverlap(op, "dx", dx, total, "alpha", alpha, cols, false);
        apart(op, "dalpha", dalpha, cols, total, "x", x, "dy", dy);
        noOverlap(op, "dalpha", dalpha, cols, "alpha", alpha, cols, false);
        noOverlap(op, "dalpha", dalpha, cols, "dx", dx, total, false);
    }

    /** {@code period} divides {@code cols}; mean and variance (each may be null) hold {@code period} values. */
    default void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                               float offset, Slice y) {
        String op = "featureAffine";
        nonNegative(op, "rows", rows);
        positive(op, "period", period);
        if (cols % period != 0) {
            throw new IllegalArgumentException(op + ": cols = " + cols + " is not a multiple of period = " + period
                    + "; expected each row to hold whole groups of period features");
        }
        if (!Float.isFinite(scale) || !Float.isFinite(offset)) {
            throw new IllegalArgumentException(op + ": scale " + scale + ", offset " + offset
                    + "; expected finite values");
        }
        matrix(op, "x", x, rows, cols);
        sliceOrNull(op, "mean", mean, DType.F32, period, "period");
        sliceOrNull(op, "variance", variance, DType.F32, period, "period");
        matrix(op, "y", y, rows, cols);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, true);
        apart(op, "y", y, total, period, "mean", mean, "variance", variance);
    }
}
