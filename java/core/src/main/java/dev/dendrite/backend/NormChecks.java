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
        apart(op, "y", y, total, cols, "saveMean", saveMean, "saveInvStd", saveInvStd);
    }

    /** {@code gamma} and {@code beta} may be null. */
    default void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                           Slice runningMean, Slice runningVar, Slice y) {
        String op = "batchNormForwardInference";
        sizes(op, rows, cols);
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
        normBackward(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, cols, "cols", dx, dgamma, dbeta);
        long total = (long) rows * cols;
        if (dgamma != null && dbeta != null) {
            noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        }
        // Once the OpenCL backend's alone; the contract ("outputs must not alias inputs") rules these out for all.
        if (dx != null) {
            apart(op, "dx", dx, total, cols, "saveMean", saveMean, "saveInvStd", saveInvStd, "gamma", gamma);
        }
    }

    /**
     * The slices both normalisation backwards take, in their order: the statistics hold {@code statLength} values
     * (batch norm: one per column, layer norm: one per row); {@code gamma}, {@code dx}, {@code dgamma} and
     * {@code dbeta} may be null. Then the rule both share first: {@code dx} overlaps neither {@code x} nor
     * {@code dy}.
     */
    private void normBackward(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                              Slice saveInvStd, int statLength, String statWhat, Slice dx, Slice dgamma, Slice dbeta) {
        matrices(op, rows, cols, "x", x, "dy", dy);
        perColumnOrNull(op, "gamma", gamma, cols);
        f32(op, "saveMean", saveMean, statLength, statWhat);
        f32(op, "saveInvStd", saveInvStd, statLength, statWhat);
        matrixOrNull(op, "dx", dx, rows, cols);
        perColumnOrNull(op, "dgamma", dgamma, cols);
        perColumnOrNull(op, "dbeta", dbeta, cols);
        long total = (long) rows * cols;
        apart(op, "dx", dx, total, total, "x", x, "dy", dy);
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
        apart(op, "y", y, total, cols, "gamma", gamma, "beta", beta);
        noOverlap(op, "saveMean", saveMean, rows, "saveInvStd", saveInvStd, rows, false);
        apart(op, "y", y, total, rows, "saveMean", saveMean, "saveInvStd", saveInvStd);
        noOverlap(op, "saveMean", saveMean, rows, "x", x, total, false);
        noOverlap(op, "saveInvStd", saveInvStd, rows, "x", x, total, false);
    }

    /** {@code gamma}, {@code dx}, {@code dgamma} and {@code dbeta} may each be null. */
    default void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                   Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        String op = "layerNormBackward";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        normBackward(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, rows, "rows", dx, dgamma, dbeta);
        long total = (long) rows * cols;
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "gamma", gamma, cols, false);
            apart(op, "dx", dx, total, rows, "saveMean", saveMean, "saveInvStd", saveInvStd);
        }
        noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        apart(op, "dgamma", dgamma, cols, total, "x", x, "dy", dy, "dx", dx);
        apart(op, "dbeta", dbeta, cols, total, "x", x, "dy", dy, "dx", dx);
    }
}
