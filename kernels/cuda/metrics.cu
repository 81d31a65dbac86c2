/*
 * metrics.cu - device accumulators of the metrics; the twin of ../opencl/metrics.cl, on the same math
 * (common/metrics.h). Integer atomics only (order-free, so the counts are the same bits every run), and nothing
 * passed by value changes between steps, so the launches record into a training step's CUDA graph.
 *
 * Exactly one of targets (dense rows, sparse = 0) and labels (class indices, sparse = 1) is read; the other may be
 * a null pointer.
 */
#include "common.cuh"
#include "metrics.h"

/* Grid-stride over the outputs of the flattened rows x cols batch: counts[4 i + cell] at each threshold i < n. */
DENDRITE_KERNEL void metric_confusion(const float *pred, const float *targets, const int *labels, int sparse,
                                      int rows, int cols, const float *thresholds, int n, int *counts) {
    dendrite_pdl_begin();
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        int r = (int) (i / (unsigned int) cols);
        float t = dendrite_metric_truth(targets, labels, sparse, cols, r, (int) i - r * cols);
        dendrite_metric_confusion(pred[i], t, thresholds, n, counts);
    }
}

/* Grid-stride over the outputs: positives to counts[bucket], negatives to counts[n + bucket]. */
DENDRITE_KERNEL void metric_buckets(const float *pred, const float *targets, const int *labels, int sparse, int rows,
                                    int cols, int n, int *counts) {
    dendrite_pdl_begin();
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        int r = (int) (i / (unsigned int) cols);
        int b = dendrite_auc_bucket(pred[i], n);
        int actual = dendrite_metric_truth(targets, labels, sparse, cols, r, (int) i - r * cols) != 0.0f;
        dendrite_atomic_add_i32(counts + (actual ? b : n + b), 1);
    }
}

/* Grid-stride over the rows: each row's hits of the given kind added to hits[0]. */
DENDRITE_KERNEL void metric_hits(const float *pred, const float *targets, const int *labels, int sparse, int rows,
                                 int cols, int kind, int k, float threshold, int *hits) {
    dendrite_pdl_begin();
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        int h = dendrite_metric_row_hits(pred, targets, labels, sparse, cols, (int) r, kind, k, threshold);
        if (h != 0) {
            dendrite_atomic_add_i32(hits, h);
        }
    }
}

/* Grid-stride over the rows: F1's per-class counts [tp, fp, fn, support] x cols. */
DENDRITE_KERNEL void metric_class_counts(const float *pred, const float *targets, const int *labels, int sparse,
                                         int rows, int cols, int use_threshold, float threshold, int *counts) {
    dendrite_pdl_begin();
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        dendrite_metric_class_counts(pred, targets, labels, sparse, cols, (int) r, use_threshold, threshold,
                                     counts);
    }
}
