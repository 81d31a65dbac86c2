/*
 * losses.cl - the fused loss ops, one work-item per row: softmax + cross-entropy (sparse or dense labels),
 * sigmoid + binary cross-entropy, and the regression losses (squared error, absolute error, Huber). Each writes
 * probabilities / gradients and the row's (loss, accuracy) into row_stats[r] and row_stats[rows + r], which the
 * softmax kernels' last work-group adds up into stats (row_stats.h, accumulate_stats's arithmetic, no launch of its
 * own); after the sigmoid and regression kernels reductions.cl's accumulate_stats does. The stable formulas are in
 * ../common/losses.h.
 */
#include "../common/activations.h"
#include "../common/errors.h"
#include "../common/gemm_tiled.h" /* its shared part only: gemm_fold's element body */
#include "../common/losses.h"
#include "../common/gemm_rows.h"
#include "row_stats.h"

/*
 * Softmax cross-entropy of one row against class `label` (sparse) or distribution t (dense, label < 0 then
 * means "take the arg-max of t"). With m the row's maximum and s = sum exp(z - m):
 * p_c = exp(z_c - m) / s and log p_c = (z_c - m) - log s, which never overflows. Class weights cw (0: none, Keras's
 * class_weight) and the row's own weight rw (1: none, sample_weight) scale the row's loss and gradient, not its
 * accuracy.
 */
DENDRITE_DEVICE void softmax_xent_row(__global const float *z, int label, __global const float *t, int cols,
                                      __global const float *cw, float rw, __global float *probs,
                                      __global float *dlogits, int has_grad, float grad_scale,
                                      __global float *row_stats, int r, int rows) {
    float max;
    int best = dendrite_row_argmax_from(z, cols, 0, 1, &max);
    float sum = dendrite_row_sum_exp_from(z, cols, max, 0, 1);
    float log_sum = dendrite_logf(sum);
    float inv = 1.0f / sum;
    float loss;
    if (t == 0) {
        loss = (max - z[label]) + log_sum;
    } else {
        label = dendrite_row_argmax(t, cols);
        dendrite_kahan acc = dendrite_kahan_zero();
        for (int c = 0; c < cols; c++) {
            if (t[c] != 0.0f) { /* 0 * log p is 0, even where p underflows */
                acc = dendrite_kahan_add(acc, dendrite_xent_term(t[c], z[c], max, log_sum));
            }
        }
        loss = acc.sum;
    }
    float w = dendrite_loss_weight(cw, label, rw);
    float row_scale = grad_scale * w;
    for (int c = 0; c < cols; c++) {
        float p = dendrite_softmax_p(z[c], max, inv);
        probs[c] = p;
        if (has_grad) {
            float target = t == 0 ? (c == label ? 1.0f : 0.0f) : t[c];
            dlogits[c] = row_scale * (p - target);
        }
    }
    row_stats[r] = loss * w;
    row_stats[rows + r] = best == label ? 1.0f : 0.0f;
}

/*
 * Row r of a sparse softmax cross-entropy: its label checked (a label outside [0, cols) is the caller's error,
 * recorded for the host, and its row is left out rather than read past), then softmax_xent_row.
 */
DENDRITE_DEVICE void softmax_xent_sparse_row(__global const float *z, __global const int *labels, int r, int rows,
                                             int cols, __global const float *cw, float rw, __global float *probs,
                                             __global float *dlogits, int has_grad,
                                             float grad_scale, __global float *row_stats, __global int *err) {
    int label = labels[r];
    if (label < 0 || label >= cols) {
        dendrite_report_error(err, DENDRITE_ERROR_LABEL, label, r, cols);
        row_stats[r] = 0.0f;
        row_stats[rows + r] = 0.0f;
        return;
    }
    softmax_xent_row(z, label, 0, cols, cw, rw, probs, dlogits, has_grad, grad_scale, row_stats, r, rows);
}

__kernel void softmax_xent_sparse(__global const float *logits, int zo, __global const int *labels, int lo,
                                  int rows, int cols, __global const float *cw, int cwo, int has_cw,
                                  __global const float *rw, int rwo, int has_rw, __global float *probs, int po,
                                  __global float *dlogits,
                                  int go, int has_grad, float grad_scale, __global float *row_stats, int so,
                                  __global int *err, int fold_stats, __global float *stats, int sto,
                                  __local float *la, __local float *lb) {
    __local int last;
    int r = get_global_id(0);
    if (r < rows) { /* no early return: every work-item reaches the statistics' barriers (row_stats.h) */
        int o = r * cols;
        softmax_xent_sparse_row(logits + zo + o, labels + lo, r, rows, cols, has_cw ? cw + cwo : 0,
                                has_rw ? rw[rwo + r] : 1.0f, probs + po + o, dlogits + go + o, has_grad, grad_scale,
                                row_stats + so, err);
    }
    dendrite_row_stats_by_last_group(fold_stats, row_stats + so, rows, stats + sto, err + DENDRITE_ERROR_WORDS, &last,
                                     la, lb);
}

/*
 * Row r of a split product's partial sums w (splits > 0; gemm.cl's tiled kernels wrote them) folded into z, in
 * gemm_fold's order: the same bits as the product's own fold.
 */
DENDRITE_DEVICE void fold_row(__global const float *w, int splits, __global float *z, int r, int rows, int cols) {
    for (int c = 0; c < cols && splits > 0; c++) {
        dendrite_gemm_fold_element(r * cols + c, rows * cols, splits, 1.0f, w, 0.0f, z);
    }
}

/*
 * A softmax output layer's forward pass, then its loss, one work-item per row (Backend.denseSoftmaxCrossEntropy):
 * the fold of a split product's partial sums (fold_row, splits > 0), activations.cl's softmax_forward row (bias into
 * z, y = softmax(z)), then softmax_xent_*'s row. One launch instead of three, the same bits. With bias_grad the
 * last group also sums dlogits' columns into the layer's bias gradient (row_stats.h), the launch that the backward
 * pass's column_partial_sums would be.
 */
__kernel void softmax_forward_xent_sparse(__global float *z, int zo, __global const float *bias, int bo, int has_bias,
                                          __global float *y, int yo, __global const int *labels, int lo, int rows,
                                          int cols, __global float *probs, int po, __global float *dlogits, int go,
                                          int has_grad, float grad_scale, __global float *row_stats, int so,
                                          __global int *err, __global const float *w, int splits,
                                          int fold_stats, __global float *stats, int sto, int bias_grad,
                                          int rows_per_chunk, __global float *partial, int pao,
                                          __global float *dbias, int dbo, __local float *la, __local float *lb) {
    __local int last;
    int r = get_global_id(0);
    if (r < rows) { /* no early return: every work-item reaches the statistics' barriers (row_stats.h) */
        int o = r * cols;
        fold_row(w, splits, z + zo, r, rows, cols);
        dendrite_bias_softmax_row(z + zo + o, bias + bo, has_bias, y + yo + o, cols);
        softmax_xent_sparse_row(z + zo + o, labels + lo, r, rows, cols, 0, 1.0f, probs + po + o, dlogits + go + o,
                                has_grad, grad_scale, row_stats + so, err);
    }
    dendrite_loss_end_by_last_group(fold_stats, row_stats + so, rows, stats + sto, err + DENDRITE_ERROR_WORDS, &last,
                                    la, lb, bias_grad, dlogits + go, cols, rows_per_chunk, partial + pao,
                                    dbias + dbo);
}

__kernel void softmax_forward_xent_dense(__global float *z, int zo, __global const float *bias, int bo, int has_bias,
                                         __global float *y, int yo, __global const float *targets, int to, int rows,
                                         int cols, __global float *probs, int po, __global float *dlogits, int go,
                                         int has_grad, float grad_scale, __global float *row_stats, int so,
                                         __global const float *w, int splits, int fold_stats, __global float *stats,
                                         int sto, __global int *control, int bias_grad, int rows_per_chunk,
                                         __global float *partial, int pao, __global float *dbias, int dbo,
                                         __local float *la, __local float *lb) {
    __local int last;
    int r = get_global_id(0);
    if (r < rows) { /* no early return: every work-item reaches the statistics' barriers (row_stats.h) */
        int o = r * cols;
        fold_row(w, splits, z + zo, r, rows, cols);
        dendrite_bias_softmax_row(z + zo + o, bias + bo, has_bias, y + yo + o, cols);
        softmax_xent_row(z + zo + o, -1, targets + to + o, cols, 0, 1.0f, probs + po + o, dlogits + go + o, has_grad,
                         grad_scale, row_stats + so, r, rows);
    }
    dendrite_loss_end_by_last_group(fold_stats, row_stats + so, rows, stats + sto, control + DENDRITE_ERROR_WORDS,
                                    &last, la, lb, bias_grad, dlogits + go, cols, rows_per_chunk, partial + pao,
                                    dbias + dbo);
}

/*
 * softmax_forward_xent_* for a layer whose product takes gemm_rows (GemmVariant.ROWS, its tuned variant; CUDA's twin
 * is losses.cu's softmax_forward_xent_rows): groups of 32 x 8 work-items compute 8 rows of z = x W at a time
 * (../common/gemm_rows.h, so gemm_rows's bits), then work-item 0 of each row takes it through the same row body as
 * softmax_forward_xent_*, against labels (sparse) or target distributions: one launch for the layer's product,
 * softmax and loss. The row statistics go to row_stats as there.
 */
__kernel __attribute__((reqd_work_group_size(32, DENDRITE_ROWS_PER_GROUP, 1))) void softmax_forward_xent_rows(
        __global const float *x, int xo, __global const float *w, int wo, int k, __global float *z, int zo,
        __global const float *bias, int bo, int has_bias, __global float *y, int yo, __global const int *labels,
        int lo, __global const float *targets, int to, int sparse, int rows, int cols, __global float *probs, int po,
        __global float *dlogits, int go, int has_grad, float grad_scale, __global float *row_stats, int so,
        __global int *err, int fold_stats, __global float *stats, int sto, int bias_grad, int rows_per_chunk,
        __global float *partial, int pao, __global float *dbias, int dbo, __local float *la, __local float *lb) {
    __local float tiles[DENDRITE_ROWS_LOCAL];
    __local int last;
    int col = get_local_id(0);
    int lid = get_local_id(1) * 32 + col;
    for (int first = get_group_id(1) * DENDRITE_ROWS_PER_GROUP; first < rows;
         first += get_num_groups(1) * DENDRITE_ROWS_PER_GROUP) {
        int r = first + get_local_id(1);
        float v = dendrite_gemm_rows_element(0, 0, rows, cols, k, 1.0f, x + xo, w + wo, 0.0f, z + zo, first, lid,
                                             tiles);
        if (r < rows && col < cols) {
            z[zo + r * cols + col] = v;
        }
        barrier(CLK_GLOBAL_MEM_FENCE); /* the row's z, written by its work-items, for its work-item 0 */
        if (r < rows && col == 0) {
            int o = r * cols;
            dendrite_bias_softmax_row(z + zo + o, bias + bo, has_bias, y + yo + o, cols);
            if (sparse) {
                softmax_xent_sparse_row(z + zo + o, labels + lo, r, rows, cols, 0, 1.0f, probs + po + o,
                                        dlogits + go + o, has_grad, grad_scale, row_stats + so, err);
            } else {
                softmax_xent_row(z + zo + o, -1, targets + to + o, cols, 0, 1.0f, probs + po + o, dlogits + go + o,
                                 has_grad, grad_scale, row_stats + so, r, rows);
            }
        }
    }
    dendrite_loss_end_by_last_group(fold_stats, row_stats + so, rows, stats + sto, err + DENDRITE_ERROR_WORDS, &last,
                                    la, lb, bias_grad, dlogits + go, cols, rows_per_chunk, partial + pao,
                                    dbias + dbo);
}

__kernel void softmax_xent_dense(__global const float *logits, int zo, __global const float *targets, int to,
                                 int rows, int cols, __global const float *cw, int cwo, int has_cw,
                                 __global const float *rw, int rwo, int has_rw, __global float *probs, int po,
                                 __global float *dlogits,
                                 int go, int has_grad, float grad_scale, __global float *row_stats, int so,
                                 int fold_stats, __global float *stats, int sto, __global int *control,
                                 __local float *la, __local float *lb) {
    __local int last;
    int r = get_global_id(0);
    if (r < rows) { /* no early return: every work-item reaches the statistics' barriers (row_stats.h) */
        int o = r * cols;
        softmax_xent_row(logits + zo + o, -1, targets + to + o, cols, has_cw ? cw + cwo : 0,
                         has_rw ? rw[rwo + r] : 1.0f, probs + po + o, dlogits + go + o, has_grad, grad_scale,
                         row_stats + so, r, rows);
    }
    dendrite_row_stats_by_last_group(fold_stats, row_stats + so, rows, stats + sto, control + DENDRITE_ERROR_WORDS,
                                     &last, la, lb);
}

/*
 * Sigmoid + binary cross-entropy: the row's loss is the mean of its outputs' losses, its accuracy the
 * fraction of outputs with (p > 0.5) == (t > 0.5); dlogits = grad_scale_per_col * (p - t), the host having
 * divided grad_scale by cols.
 */
__kernel void sigmoid_xent(__global const float *logits, int zo, __global const float *targets, int to,
                           int rows, int cols, __global const float *cw, int cwo, int has_cw,
                           __global const float *rw, int rwo, int has_rw, __global float *probs, int po,
                           __global float *dlogits, int go, int has_grad, float grad_scale_per_col,
                           __global float *row_stats, int so) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    /* Class weights (has_cw: one output, the host checked): the target's class is t > 0.5, Keras's rounding. */
    float w = dendrite_loss_weight(has_cw ? cw + cwo : 0, targets[to + r * cols] > 0.5f ? 1 : 0,
                                   has_rw ? rw[rwo + r] : 1.0f);
    float row_scale = grad_scale_per_col * w;
    dendrite_kahan loss = dendrite_kahan_zero();
    int correct = 0;
    for (int c = 0; c < cols; c++) {
        int i = r * cols + c;
        float z = logits[zo + i];
        float t = targets[to + i];
        loss = dendrite_kahan_add(loss, dendrite_bce_with_logits(z, t));
        float p = dendrite_sigmoid(z);
        probs[po + i] = p;
        if ((p > 0.5f) == (t > 0.5f)) {
            correct++;
        }
        if (has_grad) {
            dlogits[go + i] = row_scale * (p - t);
        }
    }
    row_stats[so + r] = w * loss.sum / (float) cols;
    row_stats[so + rows + r] = (float) correct / (float) cols;
}

/*
 * A regression loss (kind: squared error, absolute error or Huber, ../common/losses.h): the row's loss is the
 * mean of its outputs' terms; it is accurate when the arg-maxes agree (cols > 1) or |pred - t| < 0.5 (cols == 1).
 * dpred = grad_scale_per_col * the term's derivative, the host having folded 1 / cols into the scale.
 */
__kernel void regression_loss(__global const float *pred, int xo, __global const float *targets, int to,
                              int rows, int cols, int kind, float delta, __global const float *rw, int rwo,
                              int has_rw, __global float *dpred, int go, int has_grad, float grad_scale_per_col,
                              __global float *row_stats, int so) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    int o = r * cols;
    float w = has_rw ? rw[rwo + r] : 1.0f; /* Keras's sample_weight: the row's loss and gradient, not its hit */
    float row_scale = grad_scale_per_col * w;
    dendrite_kahan loss = dendrite_kahan_zero();
    for (int c = 0; c < cols; c++) {
        float d = pred[xo + o + c] - targets[to + o + c];
        float g;
        loss = dendrite_kahan_add(loss, dendrite_regression_term(kind, d, delta, &g));
        if (has_grad) {
            dpred[go + o + c] = row_scale * g;
        }
    }
    bool hit = cols > 1 ? dendrite_row_argmax(pred + xo + o, cols) == dendrite_row_argmax(targets + to + o, cols)
                        : fabs(pred[xo + o] - targets[to + o]) < 0.5f;
    row_stats[so + r] = w * loss.sum / (float) cols;
    row_stats[so + rows + r] = hit ? 1.0f : 0.0f;
}
