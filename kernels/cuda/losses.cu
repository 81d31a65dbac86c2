/*
 * losses.cu - the loss ops (the twin of ../opencl/losses.cl): fused softmax + cross-entropy (sparse and dense
 * labels), sigmoid + binary cross-entropy, and the regression losses (squared error, absolute error, Huber). Each
 * writes probabilities and the scaled gradient in the same pass that computes the loss, and adds (loss sum,
 * accuracy sum) to stats on the device: the host reads stats once per epoch, not once per step.
 *
 * Why one warp per row for softmax / MSE: classification heads are narrow (10 classes), so a thread per row
 * would serialise the row and leave most of the GPU idle, while a block per row would waste 90% of its
 * threads. A warp covers up to 32 columns per step and reduces with shuffles. Sigmoid BCE has no row-wise
 * coupling (a row's loss is a mean, so the total is the element sum / cols): one thread per element.
 *
 * Stats are added with dendrite_finish_stats (common.cuh): per-block partials, the last block adds them in
 * order. The stable formulas and the row helpers (each lane walks columns lane, lane + 32, ...) are
 * kernels/common/losses.h and activations.h.
 */
#include "common.cuh"
#include "activations.h"
#include "gemm_tiled.h" /* its shared part: dendrite_gemm_fold_element */
#include "losses.h"
#include "gemm_rows.h"

/*
 * One row of softmax cross-entropy, by the calling warp. label >= 0: sparse class index; label < 0: dense
 * targets t. Class weights cw (nullptr: none, Keras's class_weight) and the row's own weight rw (1: none,
 * sample_weight) scale the row's loss and gradient, not its hit. Returns (loss, hit) to every lane.
 */
__device__ __forceinline__ void softmax_xent_row(const float *z, int label, const float *t, int cols, const float *cw,
                                                 float rw, float *p, float *g, float grad_scale, float &loss,
                                                 float &hit) {
    int lane = threadIdx.x & 31;
    /* Arg-max of the logits (first on ties) and the row maximum. */
    float m;
    int best = dendrite_row_argmax_from(z, cols, lane, 32, &m);
    dendrite_warp_argmax(m, best);
    /* s = sum exp(z - m), every term in (0, 1] and one equal to 1. */
    float s = dendrite_warp_sum(dendrite_row_sum_exp_from(z, cols, m, lane, 32));
    float log_s = logf(s);
    float inv = 1.0f / s;
    float row_loss;
    int target_class = label;
    if (label >= 0) {
        row_loss = (m - z[label]) + log_s;
    } else {
        /* Dense targets: the loss -sum t log p (terms with t == 0 skipped, so p underflowing to 0 is harmless)
         * and the targets' own arg-max for the accuracy. */
        float tm;
        int tbest = dendrite_row_argmax_from(t, cols, lane, 32, &tm);
        dendrite_kahan acc = dendrite_kahan_zero();
        for (int c = lane; c < cols; c += 32) {
            if (t[c] != 0.0f) {
                acc = dendrite_kahan_add(acc, dendrite_xent_term(t[c], z[c], m, log_s));
            }
        }
        dendrite_warp_argmax(tm, tbest);
        row_loss = dendrite_warp_sum(acc.sum);
        target_class = tbest;
    }
    float w = dendrite_loss_weight(cw, target_class, rw);
    float row_scale = grad_scale * w;
    for (int c = lane; c < cols; c += 32) {
        float pc = dendrite_softmax_p(z[c], m, inv);
        p[c] = pc;
        if (g != nullptr) {
            float tc = label >= 0 ? (c == label ? 1.0f : 0.0f) : t[c];
            g[c] = row_scale * (pc - tc);
        }
    }
    loss = row_loss * w;
    hit = best == target_class ? 1.0f : 0.0f;
}

/*
 * The rows of a softmax cross-entropy, one warp per row, against integer labels (targets == nullptr) or target
 * distributions (labels == nullptr); the block's totals go to the stats through dendrite_finish_stats. A label
 * outside [0, cols) is recorded in the error block (the host throws at its next synchronisation) and its row is
 * left out.
 */
__device__ __forceinline__ void softmax_xent_rows(const float *logits, const int *labels, const float *targets,
                                                  int rows, int cols, const float *cw, const float *rw, float *probs,
                                                  float *dlogits,
                                                  float grad_scale, float *stats, int *control) {
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    dendrite_kahan loss = dendrite_kahan_zero();
    float hits = 0.0f;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        int label = -1;
        if (labels != nullptr) {
            label = labels[r];
            if (label < 0 || label >= cols) {
                if (lane == 0) {
                    dendrite_report_error(control, DENDRITE_ERROR_LABEL, label, r, cols);
                }
                continue;
            }
        }
        size_t o = (size_t) r * cols;
        float l, h;
        softmax_xent_row(logits + o, label, targets == nullptr ? nullptr : targets + o, cols, cw,
                         rw == nullptr ? 1.0f : rw[r], probs + o, dlogits == nullptr ? nullptr : dlogits + o,
                         grad_scale, l, h);
        loss = dendrite_kahan_add(loss, l);
        hits += h;
    }
    /* Every lane holds its warp's totals; count them once per warp. */
    float a = lane == 0 ? loss.sum : 0.0f;
    float b = lane == 0 ? hits : 0.0f;
    dendrite_finish_stats(a, b, 1.0f, 0.0f, 1.0f, stats, control);
}

/*
 * A softmax output layer's forward pass, then the loss, in one kernel (Backend.denseSoftmaxCrossEntropy): each warp
 * first takes its rows through softmax_forward's row body (the bias added into z, y = softmax(z)), after folding a
 * product split over k into z where there are partials (gemm_fold_bias_softmax's row, gemm.cu), then the same rows
 * through the loss. Both loops give a warp the same rows, and a lane reads back only the columns it wrote, so the
 * bits are those of the two kernels.
 */
__device__ __forceinline__ void softmax_forward_xent(const float *partials, int blocks, float *z, const float *bias,
                                                     float *y, const int *labels, const float *targets, int rows,
                                                     int cols, float *probs, float *dlogits, float grad_scale,
                                                     float *stats, int *control) {
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    int mn = rows * cols;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        if (partials != nullptr) {
            for (int c = lane; c < cols; c += 32) {
                dendrite_gemm_fold_element(r * cols + c, mn, blocks, 1.0f, partials, 0.0f, z);
            }
            __syncwarp();
        }
        dendrite_softmax_row_warp(z + (size_t) r * cols, bias, cols, y + (size_t) r * cols, lane);
    }
    __syncwarp();
    softmax_xent_rows(z, labels, targets, rows, cols, nullptr, nullptr, probs, dlogits, grad_scale, stats, control);
}

DENDRITE_KERNEL void softmax_forward_xent_sparse(const float *partials, int blocks, float *z, const float *bias,
                                                 float *y, const int *labels, int rows, int cols, float *probs,
                                                 float *dlogits, float grad_scale, float *stats, int *control) {
    dendrite_pdl_begin();
    softmax_forward_xent(partials, blocks, z, bias, y, labels, nullptr, rows, cols, probs, dlogits, grad_scale, stats,
                         control);
}

DENDRITE_KERNEL void softmax_forward_xent_dense(const float *partials, int blocks, float *z, const float *bias,
                                                float *y, const float *targets, int rows, int cols, float *probs,
                                                float *dlogits, float grad_scale, float *stats, int *control) {
    dendrite_pdl_begin();
    softmax_forward_xent(partials, blocks, z, bias, y, nullptr, targets, rows, cols, probs, dlogits, grad_scale,
                         stats, control);
}

/*
 * softmax_forward_xent for a layer whose product gemm_rows computes (its tuned path): each warp computes its rows
 * of z = x W itself first (../common/gemm_rows.h, so gemm_rows's bits), then the same row body and loss as
 * softmax_forward_xent. The rows go to the warps as there (256 threads a block), so the loss adds up in the same
 * order: the layer, its loss and its gradient in one kernel, the same bits as gemm_rows and softmax_forward_xent.
 * Against integer labels (targets null) or target distributions (labels null).
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_ROWS_THREADS)
softmax_forward_xent_rows(const float *x, const float *w, int k, float *z, const float *bias, float *y,
                          const int *labels, const float *targets, int rows, int cols, float *probs, float *dlogits,
                          float grad_scale, float *stats, int *control) {
    dendrite_pdl_begin();
    __shared__ float tiles[DENDRITE_ROWS_LOCAL];
    int lane = threadIdx.x & 31;
    for (int first = blockIdx.x * DENDRITE_ROWS_PER_GROUP; first < rows;
         first += gridDim.x * DENDRITE_ROWS_PER_GROUP) {
        int r = first + (threadIdx.x >> 5);
        float v = dendrite_gemm_rows_element(0, 0, rows, cols, k, 1.0f, x, w, 0.0f, z, first, threadIdx.x, tiles);
        if (r < rows) { /* the whole warp */
            if (lane < cols) {
                z[(size_t) r * cols + lane] = v;
            }
            __syncwarp();
            dendrite_softmax_row_warp(z + (size_t) r * cols, bias, cols, y + (size_t) r * cols, lane);
        }
    }
    __syncwarp();
    softmax_xent_rows(z, labels, targets, rows, cols, nullptr, nullptr, probs, dlogits, grad_scale, stats, control);
}

/* Softmax cross-entropy with integer labels (I32, one per row). Block of 256 threads (8 rows at a time), grid at
 * most DENDRITE_MAX_STAT_BLOCKS. */
DENDRITE_KERNEL void softmax_xent_sparse(const float *logits, const int *labels, int rows, int cols, const float *cw,
                                         const float *rw, float *probs, float *dlogits, float grad_scale,
                                         float *stats, int *control) {
    dendrite_pdl_begin();
    softmax_xent_rows(logits, labels, nullptr, rows, cols, cw, rw, probs, dlogits, grad_scale, stats, control);
}

/* Softmax cross-entropy against target distributions (F32, rows x cols); launched as the sparse form. */
DENDRITE_KERNEL void softmax_xent_dense(const float *logits, const float *targets, int rows, int cols, const float *cw,
                                        const float *rw, float *probs, float *dlogits, float grad_scale,
                                        float *stats, int *control) {
    dendrite_pdl_begin();
    softmax_xent_rows(logits, nullptr, targets, rows, cols, cw, rw, probs, dlogits, grad_scale, stats, control);
}

/*
 * Sigmoid + binary cross-entropy over n = rows * cols elements. A row's loss is the mean of its elements'
 * and its accuracy the fraction of hits, so the totals are (sum over all elements) / cols: the final step
 * scales by inv_cols. dlogits = grad_scale_per_col * (p - t), the host having divided by cols.
 */
DENDRITE_KERNEL void sigmoid_xent(const float *logits, const float *targets, int n, int cols, float inv_cols,
                                  const float *cw, const float *rw, float *probs, float *dlogits,
                                  float grad_scale_per_col, float *stats, int *control) {
    dendrite_pdl_begin();
    dendrite_kahan loss = dendrite_kahan_zero();
    float hits = 0.0f;
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        float z = logits[i];
        float t = targets[i];
        /* Class weights (non-null: one output, so an element is a row): its class is t > 0.5, Keras's rounding;
         * times the row's own weight (sample_weight). */
        float w = dendrite_loss_weight(cw, t > 0.5f ? 1 : 0, rw == nullptr ? 1.0f : rw[i / (unsigned int) cols]);
        loss = dendrite_kahan_add(loss, w * dendrite_bce_with_logits(z, t));
        float p = dendrite_sigmoid(z);
        probs[i] = p;
        if ((p > 0.5f) == (t > 0.5f)) {
            hits += 1.0f;
        }
        if (dlogits != nullptr) {
            dlogits[i] = grad_scale_per_col * w * (p - t);
        }
    }
    dendrite_finish_stats(loss.sum, hits, inv_cols, 0.0f, inv_cols, stats, control);
}

/*
 * A regression loss (kind: squared error, absolute error or Huber, ../common/losses.h), one warp per row: loss the
 * mean of the row's terms; a hit when the arg-maxes agree (cols > 1) or |pred - t| < 0.5 (cols == 1).
 * dpred = grad_scale_per_col * the term's derivative, the host having folded 1 / cols in.
 */
DENDRITE_KERNEL void regression_loss(const float *pred, const float *targets, int rows, int cols, int kind,
                                     float delta, const float *rw, float *dpred, float grad_scale_per_col,
                                     float *stats, int *control) {
    dendrite_pdl_begin();
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    dendrite_kahan loss = dendrite_kahan_zero();
    float hits = 0.0f;
    float inv_cols = 1.0f / (float) cols;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        const float *x = pred + (size_t) r * cols;
        const float *t = targets + (size_t) r * cols;
        float w = rw == nullptr ? 1.0f : rw[r]; /* Keras's sample_weight: the row's loss and gradient, not its hit */
        float row_scale = grad_scale_per_col * w;
        float sq = 0.0f;
        float pm = -INFINITY;
        int pbest = DENDRITE_NO_INDEX;
        float tm = -INFINITY;
        int tbest = DENDRITE_NO_INDEX;
        /* One pass for the squares and both arg-maxes (dendrite_row_argmax_from's rule, first on ties). */
        for (int c = lane; c < cols; c += 32) {
            float xc = x[c];
            float tc = t[c];
            float d = xc - tc;
            float g;
            sq += dendrite_regression_term(kind, d, delta, &g);
            if (xc > pm || pbest == DENDRITE_NO_INDEX) {
                pm = xc;
                pbest = c;
            }
            if (tc > tm || tbest == DENDRITE_NO_INDEX) {
                tm = tc;
                tbest = c;
            }
            if (dpred != nullptr) {
                dpred[(size_t) r * cols + c] = row_scale * g;
            }
        }
        sq = dendrite_warp_sum(sq);
        dendrite_warp_argmax(pm, pbest);
        dendrite_warp_argmax(tm, tbest);
        bool hit = cols > 1 ? pbest == tbest : fabsf(x[0] - t[0]) < 0.5f;
        loss = dendrite_kahan_add(loss, w * sq * inv_cols);
        hits += hit ? 1.0f : 0.0f;
    }
    float a = lane == 0 ? loss.sum : 0.0f;
    float b = lane == 0 ? hits : 0.0f;
    dendrite_finish_stats(a, b, 1.0f, 0.0f, 1.0f, stats, control);
}
