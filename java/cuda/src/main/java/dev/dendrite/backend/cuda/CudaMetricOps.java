package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.MetricHit;
import dev.dendrite.backend.MetricOps;
import dev.dendrite.backend.Slice;

/**
 * The CUDA backend's metric accumulators (kernels/cuda/metrics.cu): integer atomics into the count buffers, no
 * scratch and no read, so that they record into a training step's CUDA graph.
 */
record CudaMetricOps(CudaContext ctx) implements MetricOps {
    @Override
    public void metricConfusion(Slice pred, Slice targets, Slice labels, int rows, int cols, Slice thresholds,
                                int numThresholds, Slice counts) {
        if (rows == 0) {
            return;
        }
        boolean sparse = labels != null;
        long n = (long) rows * cols;
        ctx.launchMatrix("metricConfusion", rows, cols, CudaKernel.METRIC_CONFUSION, ctx.elementGrid(n),
                CudaContext.BLOCK, 1, ptr(pred), ptr(targets), ptr(labels), sparse ? 1 : 0, rows, cols,
                ptr(thresholds), numThresholds, ptr(counts));
    }

    @Override
    public void metricBuckets(Slice pred, Slice targets, Slice labels, int rows, int cols, int numBuckets,
                              Slice counts) {
        if (rows == 0) {
            return;
        }
        boolean sparse = labels != null;
        long n = (long) rows * cols;
        ctx.launchMatrix("metricBuckets", rows, cols, CudaKernel.METRIC_BUCKETS, ctx.elementGrid(n),
                CudaContext.BLOCK, 1, ptr(pred), ptr(targets), ptr(labels), sparse ? 1 : 0, rows, cols,
                numBuckets, ptr(counts));
    }

    @Override
    public void metricHits(Slice pred, Slice targets, Slice labels, int rows, int cols, MetricHit kind, int k,
                           float threshold, Slice hits) {
        if (rows == 0) {
            return;
        }
        boolean sparse = labels != null;
        int code = kind.code();
        ctx.launchMatrix("metricHits", rows, cols, CudaKernel.METRIC_HITS, ctx.elementGrid(rows), CudaContext.BLOCK,
                1, ptr(pred), ptr(targets), ptr(labels), sparse ? 1 : 0, rows, cols, code, k, threshold, ptr(hits));
    }

    @Override
    public void metricClassCounts(Slice pred, Slice targets, Slice labels, int rows, int cols, float threshold,
                                  Slice counts) {
        if (rows == 0) {
            return;
        }
        boolean sparse = labels != null;
        boolean byThreshold = !Float.isNaN(threshold);
        ctx.launchMatrix("metricClassCounts", rows, cols, CudaKernel.METRIC_CLASS_COUNTS, ctx.elementGrid(rows),
                CudaContext.BLOCK, 1, ptr(pred), ptr(targets), ptr(labels), sparse ? 1 : 0, rows, cols,
                byThreshold ? 1 : 0, byThreshold ? threshold : 0f, ptr(counts));
    }
}
