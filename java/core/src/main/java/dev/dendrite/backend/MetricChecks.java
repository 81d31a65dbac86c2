package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.noOverlap;
import static dev.dendrite.backend.OpChecks.nonNegative;
import static dev.dendrite.backend.OpChecks.positive;

/**
 * The checks of the metric family ({@link MetricOps}): the device accumulators. Every count buffer is I32 and must
 * not overlap what the op reads.
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order; the messages are those {@link OpChecks} describes.
 */
interface MetricChecks extends SliceChecks {
    /** Keras caps nothing, but a threshold list is a loop per output in the kernels: keep it a small buffer. */
    int MAX_THRESHOLDS = 1 << 16;

    default void metricConfusion(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols,
                                Slice thresholds, int numThresholds, Slice counts) {
        String op = "metricConfusion";
        metricBatch(op, pred, targets, sparseLabels, rows, cols);
        positive(op, "numThresholds", numThresholds);
        OpChecks.atMost(op, "numThresholds", numThresholds, MAX_THRESHOLDS);
        slice(op, "thresholds", thresholds, DType.F32, numThresholds, "numThresholds");
        long n = 4L * numThresholds;
        slice(op, "counts", counts, DType.I32, n, "4*numThresholds");
        countsApart(op, counts, n, pred, targets, sparseLabels, rows, cols);
    }

    default void metricBuckets(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, int numBuckets,
                              Slice counts) {
        String op = "metricBuckets";
        metricBatch(op, pred, targets, sparseLabels, rows, cols);
        if (numBuckets < 2) {
            throw new IllegalArgumentException(op + ": numBuckets = " + numBuckets
                    + "; expected >= 2 (Keras's num_thresholds > 1)");
        }
        long n = 2L * numBuckets;
        slice(op, "counts", counts, DType.I32, n, "2*numBuckets");
        countsApart(op, counts, n, pred, targets, sparseLabels, rows, cols);
    }

    default void metricHits(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, MetricHit kind,
                           int k, float threshold, Slice hits) {
        String op = "metricHits";
        metricBatch(op, pred, targets, sparseLabels, rows, cols);
        if (kind == null) {
            throw new IllegalArgumentException(op + ": kind is null; expected one of ARG_MAX, TOP_K, BINARY");
        }
        if (kind == MetricHit.TOP_K) {
            positive(op, "k", k);
        }
        if (kind == MetricHit.BINARY && !(threshold >= 0f && threshold <= 1f)) {
            throw new IllegalArgumentException(op + ": threshold " + threshold + "; expected 0 <= threshold <= 1");
        }
        slice(op, "hits", hits, DType.I32, 1, "one count");
        countsApart(op, hits, 1, pred, targets, sparseLabels, rows, cols);
    }

    /** {@code threshold} NaN: Keras's F1Score default, the row's maximum; otherwise in (0, 1]. */
    default void metricClassCounts(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols,
                                  float threshold, Slice counts) {
        String op = "metricClassCounts";
        metricBatch(op, pred, targets, sparseLabels, rows, cols);
        if (!Float.isNaN(threshold) && !(threshold > 0f && threshold <= 1f)) {
            throw new IllegalArgumentException(op + ": threshold " + threshold
                    + "; expected NaN (the row's maximum) or 0 < threshold <= 1");
        }
        long n = 4L * cols;
        slice(op, "counts", counts, DType.I32, n, "4*cols");
        countsApart(op, counts, n, pred, targets, sparseLabels, rows, cols);
    }

    /** The predictions (F32 rows x cols) and the targets: I32 labels, one per row, or F32 rows x cols. */
    private void metricBatch(String op, Slice pred, Slice targets, boolean sparseLabels, int rows, int cols) {
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        long total = (long) rows * cols;
        slice(op, "pred", pred, DType.F32, total, "rows*cols");
        if (sparseLabels) {
            slice(op, "labels", targets, DType.I32, rows, "rows");
        } else {
            slice(op, "targets", targets, DType.F32, total, "rows*cols");
        }
    }

    private void countsApart(String op, Slice out, long outLen, Slice pred, Slice targets, boolean sparseLabels,
                             int rows, int cols) {
        long total = (long) rows * cols;
        noOverlap(op, "counts", out, outLen, "pred", pred, total, false);
        noOverlap(op, "counts", out, outLen, sparseLabels ? "labels" : "targets", targets,
                sparseLabels ? rows : total, false);
    }
}
