/*
 * metrics.h - the per-element and per-row counts behind Keras's metrics (precision, recall, AUC, F1, the
 * accuracies), added into small integer buffers on the device so that a training step reads nothing back: the
 * host reads the counts once per epoch and finishes each metric with Keras 3's formula (dev.dendrite.metrics).
 *
 * Counts are int32 and added with dendrite_atomic_add_i32: integer addition does not depend on the order the
 * work-items arrive in, so the counts are the same bits every run. The host flushes them into its own 64-bit
 * totals before any cell could pass 2^31 - 1 (DeviceCounter).
 *
 * Every test here is the one the CPU reference (CpuMetricOps) and the host metrics make, NaN included: an output
 * is predicted positive when pred > threshold (NaN never is), a target is truly positive when non-zero (Keras casts
 * targets to bool), arg-max takes the first maximum (dendrite_row_argmax_from in losses.h).
 */
#ifndef DENDRITE_METRICS_H
#define DENDRITE_METRICS_H

#include "dialect.h"
#include "losses.h"

/* The kinds of metricHits; Java's dev.dendrite.backend.MetricHit has the same codes. */
#define DENDRITE_HIT_ARG_MAX 0 /* arg-max of the output == the label (or the target's arg-max) */
#define DENDRITE_HIT_TOP_K 1   /* the label is among the k largest outputs, ties in its favour */
#define DENDRITE_HIT_BINARY 2  /* per output, (pred > threshold) == target; counts outputs, not rows */

/* Cells of one threshold in metricConfusion's counts: [tp, fp, tn, fn]. */
#define DENDRITE_CONFUSION_TP 0
#define DENDRITE_CONFUSION_FP 1
#define DENDRITE_CONFUSION_TN 2
#define DENDRITE_CONFUSION_FN 3

/* Target (r, c): the dense value, or 1/0 for whether class c is row r's label. */
DENDRITE_DEVICE float dendrite_metric_truth(const DENDRITE_GLOBAL float *targets, const DENDRITE_GLOBAL int *labels,
                                            int sparse, int cols, int r, int c) {
    return sparse ? (labels[r] == c ? 1.0f : 0.0f) : targets[r * cols + c];
}

/* Row r's class: its label, or the first arg-max of its dense target. */
DENDRITE_DEVICE int dendrite_metric_label(const DENDRITE_GLOBAL float *targets, const DENDRITE_GLOBAL int *labels,
                                          int sparse, int cols, int r) {
    return sparse ? labels[r] : dendrite_row_argmax(targets + r * cols, cols);
}

/* Element i of the flattened rows x cols batch added to the confusion counts at each of the n thresholds. */
DENDRITE_DEVICE void dendrite_metric_confusion(float p, float t, const DENDRITE_GLOBAL float *thresholds, int n,
                                               DENDRITE_GLOBAL int *counts) {
    int actual = t != 0.0f;
    for (int i = 0; i < n; i++) {
        int predicted = p > thresholds[i];
        int cell = predicted ? (actual ? DENDRITE_CONFUSION_TP : DENDRITE_CONFUSION_FP)
                             : (actual ? DENDRITE_CONFUSION_FN : DENDRITE_CONFUSION_TN);
        dendrite_atomic_add_i32(counts + 4 * i + cell, 1);
    }
}

/*
 * Keras's bucket of an output for n evenly spaced thresholds (AUC): max(0, ceil(clip(p, 0, 1) * (n - 1)) - 1) in
 * float32, so that the output counts as above every threshold up to its bucket. fmin/fmax send NaN to 0, bucket 0,
 * where the Java reference's cast of NaN puts it too.
 */
DENDRITE_DEVICE int dendrite_auc_bucket(float p, int n) {
    float q = dendrite_fminf(1.0f, dendrite_fmaxf(0.0f, p));
    float scaled = q * (float) (n - 1);
    int b = (int) (dendrite_ceilf(scaled) - 1.0f);
    return b < 0 ? 0 : b;
}

/* Row r's hits of the given kind: 0 or 1 for arg-max and top-k, the matching outputs (0..cols) for binary. */
DENDRITE_DEVICE int dendrite_metric_row_hits(const DENDRITE_GLOBAL float *pred, const DENDRITE_GLOBAL float *targets,
                                             const DENDRITE_GLOBAL int *labels, int sparse, int cols, int r,
                                             int kind, int k, float threshold) {
    const DENDRITE_GLOBAL float *row = pred + r * cols;
    if (kind == DENDRITE_HIT_BINARY) {
        int hits = 0;
        for (int c = 0; c < cols; c++) {
            float predicted = row[c] > threshold ? 1.0f : 0.0f;
            hits += predicted == dendrite_metric_truth(targets, labels, sparse, cols, r, c) ? 1 : 0;
        }
        return hits;
    }
    int label = dendrite_metric_label(targets, labels, sparse, cols, r);
    if (label < 0 || label >= cols) {
        return 0; /* a bad sparse label: the loss op of the same step reports it */
    }
    if (kind == DENDRITE_HIT_ARG_MAX) {
        return dendrite_row_argmax(row, cols) == label ? 1 : 0;
    }
    /* Top-k as Keras's in_top_k: rank = 1 + the outputs strictly above the label's (a NaN there ranks last). */
    float at = row[label];
    if (at != at) {
        at = -INFINITY;
    }
    int larger = 0;
    for (int c = 0; c < cols; c++) {
        larger += row[c] > at ? 1 : 0;
    }
    return 1 + larger <= k ? 1 : 0;
}

/*
 * Row r added to F1's per-class counts, laid out [tp x cols, fp x cols, fn x cols, support x cols]. Without a
 * threshold (use_threshold 0) the predicted classes are those equal to the row's maximum and above 1e-9 in
 * magnitude, as Keras's F1Score; a NaN anywhere makes the maximum NaN (as Java's Math.max) and predicts nothing.
 */
DENDRITE_DEVICE void dendrite_metric_class_counts(const DENDRITE_GLOBAL float *pred,
                                                  const DENDRITE_GLOBAL float *targets,
                                                  const DENDRITE_GLOBAL int *labels, int sparse, int cols, int r,
                                                  int use_threshold, float threshold, DENDRITE_GLOBAL int *counts) {
    const DENDRITE_GLOBAL float *row = pred + r * cols;
    float max = -INFINITY;
    if (!use_threshold) {
        for (int c = 0; c < cols; c++) {
            float p = row[c];
            if (p != p || p > max) {
                max = p;
            }
            if (max != max) {
                break;
            }
        }
    }
    for (int c = 0; c < cols; c++) {
        float p = row[c];
        int predicted = use_threshold ? p > threshold : (p >= max && dendrite_fabsf(p) > 1e-9f);
        int actual = dendrite_metric_truth(targets, labels, sparse, cols, r, c) != 0.0f;
        if (predicted && actual) {
            dendrite_atomic_add_i32(counts + c, 1);
        } else if (predicted) {
            dendrite_atomic_add_i32(counts + cols + c, 1);
        } else if (actual) {
            dendrite_atomic_add_i32(counts + 2 * cols + c, 1);
        }
        if (actual) {
            dendrite_atomic_add_i32(counts + 3 * cols + c, 1);
        }
    }
}

#endif /* DENDRITE_METRICS_H */
