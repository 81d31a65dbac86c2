package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.offset;

import dev.dendrite.backend.MetricHit;
import dev.dendrite.backend.MetricOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's metric accumulators (kernels/opencl/metrics.cl): no scratch buffer and no read, so that
 * they record into a training step like every other op.
 */
record OpenClMetricOps(OpenClContext ctx) implements MetricOps {
    private static final String FILE = "metrics.cl";

    @Override
    public void metricConfusion(Slice pred, Slice targets, Slice labels, int rows, int cols, Slice thresholds,
                                int numThresholds, Slice counts) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel k = batch(ctx.programs.kernel(FILE, "metric_confusion"), pred, targets, labels, rows, cols);
            k.mem(ctx.mem(thresholds), thresholds.offset()).i(numThresholds).mem(ctx.mem(counts), counts.offset());
            ctx.run1(k, (long) rows * cols);
        } catch (CLException e) {
            throw ctx.clFailure("metricConfusion", shape(labels, rows, cols), e);
        }
    }

    @Override
    public void metricBuckets(Slice pred, Slice targets, Slice labels, int rows, int cols, int numBuckets,
                              Slice counts) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel k = batch(ctx.programs.kernel(FILE, "metric_buckets"), pred, targets, labels, rows, cols);
            k.i(numBuckets).mem(ctx.mem(counts), counts.offset());
            ctx.run1(k, (long) rows * cols);
        } catch (CLException e) {
            throw ctx.clFailure("metricBuckets", shape(labels, rows, cols), e);
        }
    }

    @Override
    public void metricHits(Slice pred, Slice targets, Slice labels, int rows, int cols, MetricHit kind, int k,
                           float threshold, Slice hits) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel kernel = batch(ctx.programs.kernel(FILE, "metric_hits"), pred, targets, labels, rows, cols);
            kernel.i(kind.code()).i(k).f(threshold).mem(ctx.mem(hits), hits.offset());
            ctx.run1(kernel, rows);
        } catch (CLException e) {
            throw ctx.clFailure("metricHits", kind + ", " + shape(labels, rows, cols), e);
        }
    }

    @Override
    public void metricClassCounts(Slice pred, Slice targets, Slice labels, int rows, int cols, float threshold,
                                  Slice counts) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel k = batch(ctx.programs.kernel(FILE, "metric_class_counts"), pred, targets, labels, rows,
                    cols);
            boolean byThreshold = !Float.isNaN(threshold);
            k.i(byThreshold ? 1 : 0).f(byThreshold ? threshold : 0f).mem(ctx.mem(counts), counts.offset());
            ctx.run1(k, rows);
        } catch (CLException e) {
            throw ctx.clFailure("metricClassCounts", shape(labels, rows, cols), e);
        }
    }

    /** The arguments every metric kernel starts with: the predictions, both target forms (one a dummy), the shape. */
    private OpenClKernel batch(OpenClKernel k, Slice pred, Slice targets, Slice labels, int rows, int cols) {
        return k.args().mem(ctx.mem(pred), pred.offset()).mem(ctx.mem(targets), offset(targets))
                .mem(ctx.mem(labels), offset(labels)).i(labels != null ? 1 : 0).i(rows).i(cols);
    }

    private static String shape(Slice labels, int rows, int cols) {
        return (labels != null ? "sparse" : "dense") + " targets, rows=" + rows + ", cols=" + cols;
    }
}
