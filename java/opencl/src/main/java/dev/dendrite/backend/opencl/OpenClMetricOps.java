package dev.dendrite.backend.opencl;

import dev.dendrite.backend.MetricHit;
import dev.dendrite.backend.MetricOps;
import dev.dendrite.backend.Slice;

/**
 * The OpenCL backend's metric accumulators (kernels/opencl/metrics.cl): no scratch buffer and no read, so that
 * they record into a training step like every other op.
 */
record OpenClMetricOps(OpenClContext ctx) implements MetricOps {
    private static final String FILE = "metrics.cl";

    @Override
    public void metricConfusion(Slice pred, Slice targets, Slice labels, int rows, int cols, Slice thresholds,
                                int numThresholds, Slice counts) {
        ctx.runItems("metricConfusion", shape(labels, rows, cols), (long) rows * cols, FILE, "metric_confusion",
                batch(pred, targets, labels, rows, cols, thresholds, numThresholds, counts));
    }

    @Override
    public void metricBuckets(Slice pred, Slice targets, Slice labels, int rows, int cols, int numBuckets,
                              Slice counts) {
        ctx.runItems("metricBuckets", shape(labels, rows, cols), (long) rows * cols, FILE, "metric_buckets",
                batch(pred, targets, labels, rows, cols, numBuckets, counts));
    }

    @Override
    public void metricHits(Slice pred, Slice targets, Slice labels, int rows, int cols, MetricHit kind, int k,
                           float threshold, Slice hits) {
        ctx.runItems("metricHits", kind + ", " + shape(labels, rows, cols), rows, FILE, "metric_hits",
                batch(pred, targets, labels, rows, cols, kind.code(), k, threshold, hits));
    }

    @Override
    public void metricClassCounts(Slice pred, Slice targets, Slice labels, int rows, int cols, float threshold,
                                  Slice counts) {
        boolean byThreshold = !Float.isNaN(threshold);
        ctx.runItems("metricClassCounts", shape(labels, rows, cols), rows, FILE, "metric_class_counts",
                batch(pred, targets, labels, rows, cols, byThreshold, byThreshold ? threshold : 0f, counts));
    }

    /**
     * The kernel arguments: those every metric kernel starts with (the predictions, both target forms, one of them
     * absent, whether the targets are class indices, the shape), then the kernel's own.
     */
    private static Object[] batch(Slice pred, Slice targets, Slice labels, int rows, int cols, Object... own) {
        Object[] args = new Object[6 + own.length];
        args[0] = pred;
        args[1] = targets;
        args[2] = labels;
        args[3] = labels != null;
        args[4] = rows;
        args[5] = cols;
        System.arraycopy(own, 0, args, 6, own.length);
        return args;
    }

    private static String shape(Slice labels, int rows, int cols) {
        return (labels != null ? "sparse" : "dense") + " targets, rows=" + rows + ", cols=" + cols;
    }
}
