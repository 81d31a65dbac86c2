/*
 * batchnorm.cl - batch normalisation over the rows of a rows x cols matrix, per column.
 *
 * Training forward: the batch mean (reductions.cl, column sums / rows), then the biased variance from squared
 * deviations (bn_square_deviation_partials + bn_finalize_statistics: no E[x^2] - mean^2 cancellation), then
 * bn_normalize. Backward: per-column sums of dy and dy * xhat (bn_backward_partials + column_finalize), then
 * bn_backward_dx.
 *
 * A Dropout right after the layer (Backend.batchNormDropoutForward/Backward) runs inside bn_normalize, which drops
 * each value as it writes it, and inside the backward kernels, which drop each gradient as they read it
 * (fused_dropout.h): the dropout layer costs no launch of its own.
 */
#include "../common/batchnorm.h"
#include "../common/gemm_tiled.h" /* its shared part only: gemm_simple's element body */
#include "column_chunks.h"
#include "fused_dropout.h"


/* partial[chunk * cols + c] = sum of (x[r, c] - mean[c])^2 over the chunk's rows (column_chunks.h). */
__kernel void bn_square_deviation_partials(__global const float *x, int xo, int rows, int cols, int rows_per_chunk,
                                           __global const float *mean, int mo, __global float *partial, int po) {
    dendrite_column_chunk ch = dendrite_column_chunk_here(rows, rows_per_chunk);
    if (ch.c >= cols) {
        return;
    }
    float m = mean[mo + ch.c];
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int r = ch.first; r < ch.end; r++) {
        float d = x[xo + r * cols + ch.c] - m;
        sum = dendrite_kahan_add(sum, d * d);
    }
    partial[po + ch.chunk * cols + ch.c] = sum.sum;
}

/*
 * Per column: var = (sum of the partials) / rows, inv_std, and the running statistics (../common/batchnorm.h).
 */
__kernel void bn_finalize_statistics(__global const float *partial, int po, int chunks, int rows, int cols, float eps,
                                     float momentum, __global const float *mean, int mo, __global float *inv_std,
                                     int io, __global float *running_mean, int rmo, __global float *running_var,
                                     int rvo) {
    int c = get_global_id(0);
    if (c >= cols) {
        return;
    }
    float var = dendrite_column_fold(partial + po, chunks, cols, c) / (float) rows;
    inv_std[io + c] = dendrite_bn_inv_std(var, eps);
    running_mean[rmo + c] = dendrite_bn_running(momentum, running_mean[rmo + c], mean[mo + c]);
    running_var[rvo + c] = dendrite_bn_running(momentum, running_var[rvo + c], var);
}

/*
 * y = gamma[c] * (x - mean) * inv_std + beta[c], gamma = 1 and beta = 0 when absent: training and inference differ
 * only in where mean and inv_std come from.
 */
DENDRITE_DEVICE float bn_normalize_column(float x, float mean, float inv_std, int c, __global const float *gamma,
                                          int has_gamma, __global const float *beta, int has_beta) {
    return dendrite_bn_normalize(x, mean, inv_std, has_gamma ? gamma[c] : 1.0f, has_beta ? beta[c] : 0.0f);
}

/* Training: the batch's statistics. */
__kernel void bn_normalize(__global const float *x, int xo, int rows, int cols, __global const float *mean, int mo,
                           __global const float *inv_std, int io, __global const float *gamma, int go,
                           int has_gamma, __global const float *beta, int bo, int has_beta, __global float *y,
                           int yo, DENDRITE_DROP_ARGS) {
    int gid = get_global_id(0);
    if (gid >= rows * cols) {
        return;
    }
    int c = gid % cols;
    float v = bn_normalize_column(x[xo + gid], mean[mo + c], inv_std[io + c], c, gamma + go, has_gamma, beta + bo,
                                  has_beta);
    y[yo + gid] = DENDRITE_DROP(v, gid);
}

/* Inference: the same normalisation with the running statistics. */
__kernel void bn_inference(__global const float *x, int xo, int rows, int cols, __global const float *gamma, int go,
                           int has_gamma, __global const float *beta, int bo, int has_beta, float eps,
                           __global const float *running_mean, int rmo, __global const float *running_var, int rvo,
                           __global float *y, int yo) {
    int gid = get_global_id(0);
    if (gid >= rows * cols) {
        return;
    }
    int c = gid % cols;
    float inv = dendrite_bn_inv_std(running_var[rvo + c], eps);
    y[yo + gid] = bn_normalize_column(x[xo + gid], running_mean[rmo + c], inv, c, gamma + go, has_gamma, beta + bo,
                                      has_beta);
}

/*
 * Partial sums of the backward pass, laid out as [chunk][2 * cols]: sum dy in the first cols entries,
 * sum dy * xhat in the next cols, with xhat = (x - mean) * inv_std. With has_product, dy is first written with the
 * dense layer above's thin input gradient (Backend.batchNormBackwardBetween), which bn_backward_dx then reads.
 */
__kernel void bn_backward_partials(__global const float *x, int xo, __global float *dy, int dyo, int rows,
                                   int cols, int rows_per_chunk, __global const float *mean, int mo,
                                   __global const float *inv_std, int io, __global float *partial, int po,
                                   DENDRITE_DROP_ARGS, __global const float *dz_next, int dno,
                                   __global const float *w_next, int wno, int k, int has_product) {
    dendrite_column_chunk ch = dendrite_column_chunk_here(rows, rows_per_chunk);
    if (ch.c >= cols) {
        return;
    }
    float m = mean[mo + ch.c];
    float inv = inv_std[io + ch.c];
    dendrite_kahan sum_dy = dendrite_kahan_zero();
    dendrite_kahan sum_dy_xhat = dendrite_kahan_zero();
    for (int r = ch.first; r < ch.end; r++) {
        int i = r * cols + ch.c;
        if (has_product) { /* dy is the dense layer above's thin input gradient, computed here (activations.cl) */
            dendrite_gemm_simple_element(0, 1, rows, cols, k, 1.0f, dz_next + dno, w_next + wno, 0.0f, dy + dyo, r,
                                         ch.c);
        }
        float g = DENDRITE_DROP(dy[dyo + i], i);
        sum_dy = dendrite_kahan_add(sum_dy, g);
        sum_dy_xhat = dendrite_kahan_add(sum_dy_xhat, g * dendrite_bn_xhat(x[xo + i], m, inv));
    }
    partial[po + ch.chunk * 2 * cols + ch.c] = sum_dy.sum;
    partial[po + ch.chunk * 2 * cols + cols + ch.c] = sum_dy_xhat.sum;
}

/*
 * dx (../common/batchnorm.h), with sums[c] = sum dy and sums[cols + c] = sum dy * xhat from bn_backward_partials.
 */
__kernel void bn_backward_dx(__global const float *x, int xo, __global const float *dy, int dyo, int rows, int cols,
                             __global const float *gamma, int go, int has_gamma, __global const float *mean, int mo,
                             __global const float *inv_std, int io, __global const float *sums, int so,
                             __global float *dx, int dxo, DENDRITE_DROP_ARGS) {
    int gid = get_global_id(0);
    if (gid >= rows * cols) {
        return;
    }
    int c = gid % cols;
    float inv = inv_std[io + c];
    float g = has_gamma ? gamma[go + c] : 1.0f;
    float xhat = dendrite_bn_xhat(x[xo + gid], mean[mo + c], inv);
    dx[dxo + gid] = dendrite_bn_dx(DENDRITE_DROP(dy[dyo + gid], gid), xhat, g, inv, (float) rows, sums[so + c],
                                   sums[so + cols + c]);
}
