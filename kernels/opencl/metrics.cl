/*
 * metrics.cl - device accumulators of the metrics: one batch's confusion counts at thresholds, AUC's buckets,
 * accuracy hits and F1's per-class counts, added to int32 buffers with integer atomics (order-free, so
 * deterministic). The math is common/metrics.h, shared with ../cuda/metrics.cu.
 *
 * Targets come as dense rows (targets, sparse = 0) or class indices (labels, sparse = 1); the other one is the
 * backend's dummy buffer and never read.
 */
#include "../common/metrics.h"

/* One work-item per output of the flattened rows x cols batch: counts[4 i + cell] at each threshold i < n. */
__kernel void metric_confusion(__global const float *pred, int po, __global const float *targets, int to,
                               __global const int *labels, int lo, int sparse, int rows, int cols,
                               __global const float *thresholds, int tho, int n, __global int *counts, int co) {
    int i = get_global_id(0);
    if (i >= rows * cols) {
        return;
    }
    int r = i / cols;
    float t = dendrite_metric_truth(targets + to, labels + lo, sparse, cols, r, i - r * cols);
    dendrite_metric_confusion(pred[po + i], t, thresholds + tho, n, counts + co);
}

/* One work-item per output: positives to counts[bucket], negatives to counts[n + bucket]. */
__kernel void metric_buckets(__global const float *pred, int po, __global const float *targets, int to,
                             __global const int *labels, int lo, int sparse, int rows, int cols, int n,
                             __global int *counts, int co) {
    int i = get_global_id(0);
    if (i >= rows * cols) {
        return;
    }
    int r = i / cols;
    int b = dendrite_auc_bucket(pred[po + i], n);
    int actual = dendrite_metric_truth(targets + to, labels + lo, sparse, cols, r, i - r * cols) != 0.0f;
    dendrite_atomic_add_i32(counts + co + (actual ? b : n + b), 1);
}

/* One work-item per row: its hits of the given kind added to hits[0]. */
__kernel void metric_hits(__global const float *pred, int po, __global const float *targets, int to,
                          __global const int *labels, int lo, int sparse, int rows, int cols, int kind, int k,
                          float threshold, __global int *hits, int ho) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    int h = dendrite_metric_row_hits(pred + po, targets + to, labels + lo, sparse, cols, r, kind, k, threshold);
    if (h != 0) {
        dendrite_atomic_add_i32(hits + ho, h);
    }
}

/* One work-item per row: F1's per-class counts [tp, fp, fn, support] x cols. */
__kernel void metric_class_counts(__global const float *pred, int po, __global const float *targets, int to,
                                  __global const int *labels, int lo, int sparse, int rows, int cols,
                                  int use_threshold, float threshold, __global int *counts, int co) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    dendrite_metric_class_counts(pred + po, targets + to, labels + lo, sparse, cols, r, use_threshold, threshold,
                                 counts + co);
}
