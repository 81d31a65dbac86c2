package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the batch- and layer-normalisation families ({@link BatchNormOps}, {@link LayerNormOps}),
 * which share their slices' shapes.
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface NormChecks extends SliceChecks {
    /** {@code gamma} and {@code beta} may be null. */
    default void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          float momentum, Slice runningMean, Slice runningVar, Slice y,
                                          Slice saveMean, Slice saveInvStd) {
        String op = "batchNormForwardTraining";
        positive(op, "rows", rows);
        nonNegative(op, "cols", cols);
        checkEps(op, eps);
        unitInterval(op, "momentum", momentum);
        batchNormForward(op, x, rows, cols, gamma, beta, runningMean, runningVar, y);
        perColumn(op, "saveMean", saveMean, cols);
        perColumn(op, "saveInvStd", saveInvStd, cols);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
        noOverlap(op, "saveMean", saveMean, cols, "saveInvStd", saveInvStd, cols, false);
        noOverlap(op, "runningMean", runningMean, cols, "runningVar", runningVar, cols, false);
        noOverlap(op, "y", y, total, "saveMean", saveMean, cols, false);
        noOverlap(op, "y", y, total, "saveInvStd", saveInvStd, cols, false);
    }

    /** {@code gamma} and {@code beta} may be null. */
    default void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                           Slice runningMean, Slice runningVar, Slice y) {
        String op = "batchNormForwardInference";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        checkEps(op, eps);
        batchNormForward(op, x, rows, cols, gamma, beta, runningMean, runningVar, y);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
    }

    /** The slices both batch-norm forwards take, in their order: {@code gamma} and {@code beta} may be null. */
    private void batchNormForward(String op, Slice x, int rows, int cols, Slice gamma, Slice beta,
                                  Slice runningMean, Slice runningVar, Slice y) {
        matrix(op, "x", x, rows, cols);
        perColumnOrNull(op, "gamma", gamma, cols);
        perColumnOrNull(op, "beta", beta, cols);
        perColumn(op, "runningMean", runningMean, cols);
        perColumn(op, "runningVar", runningVar, cols);
        matrix(op, "y", y, rows, cols);
    }

    /** {@code gamma}, {@code dx}, {@code dgamma} and {@code dbeta} may each be null. */
    default void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                   Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        String op = "batchNormBackward";
        positive(op, "rows", rows);
        nonNegative(op, "cols", cols);
        normBackwardSlices(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, cols, "cols", dx, dgamma, dbeta);
        long total = (long) rows * cols;
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "x", x, total, false);
            noOverlap(op, "dx", dx, total, "dy", dy, total, false);
        }
        if (dgamma != null && dbeta != null) {
            noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        }
        // Once the OpenCL backend's alone; the contract ("outputs must not alias inputs") rules these out for all.
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "saveMean", saveMean, cols, false);
            noOverlap(op, "dx", dx, total, "saveInvStd", saveInvStd, cols, false);
            noOverlap(op, "dx", dx, total, "gamma", gamma, cols, false);
        }
    }

    /**
     * The slices both normalisation backwards take, in their order: the statistics hold {@code statLength} values
     * (batch norm: one per column, layer norm: one per row); {@code gamma}, {@code dx}, {@code dgamma} and
     * {@code dbeta} may be null.
     */
    private void normBackwardSlices(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                    Slice saveInvStd, int statLength, String statWhat, Slice dx, Slice dgamma,
                                    Slice dbeta) {
        matrix(op, "x", x, rows, cols);
        matrix(op, "dy", dy, rows, cols);
        perColumnOrNull(op, "gamma", gamma, cols);
        f32(op, "saveMean", saveMean, statLength, statWhat);
        f32(op, "saveInvStd", saveInvStd, statLength, statWhat);
        matrixOrNull(op, "dx", dx, rows, cols);
        perColumnOrNull(op, "dgamma", dgamma, cols);
        perColumnOrNull(op, "dbeta", dbeta, cols);
    }

    /** {@code gamma} and {@code beta} may be null; the statistics are one per row. */
    default void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                  Slice saveMean, Slice saveInvStd) {
        String op = "layerNormForward";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        checkEps(op, eps);
        matrix(op, "x", x, rows, cols);
        perColumnOrNull(op, "gamma", gamma, cols);
        perColumnOrNull(op, "beta", beta, cols);
        matrix(op, "y", y, rows, cols);
        f32(op, "saveMean", saveMean, rows, "rows");
        f32(op, "saveInvStd", saveInvStd, rows, "rows");
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
        noOverlap(op, "y", y, total, "gamma", gamma, cols, false);
        noOverlap(op, "y", y, total, "beta", beta, cols, false);
        noOverlap(op, "saveMean", saveMean, rows, "saveInvStd", saveInvStd, rows, false);
        noOverlap(op, "y", y, total, "saveMean", saveMean, rows, false);
        noOverlap(op, "y", y, total, "saveInvStd", saveInvStd, rows, false);
        noOverlap(op, "saveMean", saveMean, rows, "x", x, total, false);
        noOverlap(op, "saveInvStd", saveInvStd, rows, "x", x, total, false);
    }

    /** {@code gamma}, {@code dx}, {@code dgamma} and {@code dbeta} may each be null. */
    default void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                   Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        String op = "layerNormBackward";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        normBackwardSlices(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, rows, "rows", dx, dgamma, dbeta);
        long total = (long) rows * cols;
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "x", x, total, false);
            noOverlap(op, "dx", dx, total, "dy", dy, total, false);
            noOverlap(op, "dx", dx, total, "gamma", gamma, cols, false);
            noOverlap(op, "dx", dx, total, "saveMean", saveMean, rows, false);
            noOverlap(op, "dx", dx, total, "saveInvStd", saveInvStd, rows, false);
        }
        noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        noOverlap(op, "dgamma", dgamma, cols, "x", x, total, false);
        noOverlap(op, "dgamma", dgamma, cols, "dy", dy, total, false);
        noOverlap(op, "dgamma", dgamma, cols, "dx", dx, total, false);
        noOverlap(op, "dbeta", dbeta, cols, "x", x, total, false);
        noOverlap(op, "dbeta", dbeta, cols, "dy", dy, total, false);
        noOverlap(op, "dbeta", dbeta, cols, "dx", dx, total, false);
    }
}
