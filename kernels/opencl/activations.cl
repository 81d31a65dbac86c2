/*
 * activations.cl - bias + activation forward, and the activation backward with the bias gradient's column
 * sums fused in (as per-chunk partials that reductions.cl's column_finalize adds up). The math of every
 * activation is in ../common/activations.h. A Dropout right after a dense layer runs inside both
 * (Backend.denseDropoutForward, activationDropoutBackward; fused_dropout.h).
 */
#include "../common/activations.h"
#include "../common/gemm_tiled.h" /* its shared part only: gemm_simple's element body */
#include "../common/errors.h" /* the ticket word after the error block */
#include "column_chunks.h"
#include "fused_dropout.h"

/*
 * z[r, c] += bias[c] (if has_bias), then y[r, c] = f(z[r, c]), and with a dropout y_dropped = dropout(y); y may
 * alias z for LINEAR only.
 */
__kernel void bias_activation_forward(__global float *z, int zo, __global const float *bias, int bo, int has_bias,
                                      int rows, int cols, int act, float alpha, __global float *y, int yo,
                                      __global float *y_dropped, int ydo, DENDRITE_DROP_ARGS) {
    int gid = get_global_id(0);
    if (gid >= rows * cols) {
        return;
    }
    dendrite_bias_activation_element(z + zo, bias + bo, has_bias, gid, cols, act, alpha, y + yo);
    if (has_drop) {
        y_dropped[ydo + gid] = DENDRITE_DROP(y[yo + gid], gid);
    }
}

/* Row-wise softmax, one work-item per row, after adding the bias to z in place. */
__kernel void softmax_forward(__global float *z, int zo, __global const float *bias, int bo, int has_bias,
                              int rows, int cols, __global float *y, int yo) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    dendrite_bias_softmax_row(z + zo + r * cols, bias + bo, has_bias, y + yo + r * cols, cols);
}

/*
 * dz = dy * f'(z) for an element-wise activation. Work-item (c, chunk) handles column c of rows
 * [chunk * rows_per_chunk, ...), so that it can also add up its share of the bias gradient:
 * partial[chunk * cols + c] (if has_partial). Adjacent work-items read adjacent columns: coalesced.
 * With has_product, dy is the layer above's input gradient dz_next w_next^T, not yet computed
 * (Backend.inputGradientActivationBackward, for a thin product): each element is gemm_simple's, written to dz and
 * read back, so the product costs no launch of its own and gives the same bits. With splits > 0 it is the fold of
 * that product's partial sums instead (gemm_fold's), one launch less. With fold_bias, the last work-group folds the
 * bias gradient's partials into dbias (column_chunks.h), where column_finalize took a launch of its own. With has_dw
 * (beside a thin product) the work-items of column c also compute row c of the upper layer's weight gradient
 * dw_next = y^T dz_next (y, this layer's output, is that layer's input), gemm_simple's element: its launch saved.
 */
__kernel void activation_backward(__global const float *z, int zo, __global const float *dy, int dyo,
                                  __global float *dz, int dzo, int rows, int cols, int act, float alpha,
                                  int rows_per_chunk, __global float *partial, int po, int has_partial,
                                  DENDRITE_DROP_ARGS, __global const float *dz_next, int dno,
                                  __global const float *w_next, int wno, int k, int has_product,
                                  __global const float *y, int yo, __global float *dw_next, int dwo, int has_dw,
                                  __global const float *partials, int splits, int fold_bias,
                                  __global float *dbias, int dbo, __global int *control) {
    __local int last;
    dendrite_column_chunk ch = dendrite_column_chunk_here(rows, rows_per_chunk);
    if (ch.c < cols) { /* no early return: every work-item reaches the last group's barriers below */
        dendrite_kahan sum = dendrite_kahan_zero();
        for (int r = ch.first; r < ch.end; r++) {
            int i = r * cols + ch.c;
            float g;
            if (splits > 0) { /* a split product's partial sums (gemm.cl's tiled kernels), folded as gemm_fold does */
                dendrite_gemm_fold_element(i, rows * cols, splits, 1.0f, partials, 0.0f, dz + dzo);
                g = dz[dzo + i];
            } else if (has_product) {
                dendrite_gemm_simple_element(0, 1, rows, cols, k, 1.0f, dz_next + dno, w_next + wno, 0.0f, dz + dzo,
                                             r, ch.c);
                g = dz[dzo + i];
            } else {
                g = dy[dyo + i];
            }
            float d = DENDRITE_DROP(g, i) * dendrite_activation_derivative(act, alpha, z[zo + i]);
            dz[dzo + i] = d;
            sum = dendrite_kahan_add(sum, d);
        }
        if (has_partial) {
            partial[po + ch.chunk * cols + ch.c] = sum.sum;
        }
        if (has_dw) { /* row c of the upper layer's weight gradient y^T dz_next, its k columns shared by the chunks */
            for (int j = ch.chunk; j < k; j += (int) get_global_size(1)) {
                dendrite_gemm_simple_element(1, 0, cols, k, rows, 1.0f, y + yo, dz_next + dno, 0.0f, dw_next + dwo,
                                             ch.c, j);
            }
        }
    }
    dendrite_column_fold_by_last_group(fold_bias, partial + po, (int) get_global_size(1), cols, cols, 1.0f,
                                       dbias + dbo, control + DENDRITE_ERROR_WORDS, &last);
}

/* Softmax backward, one work-item per row: dz = y * (dy - sum(dy * y)); dz may alias dy. */
__kernel void softmax_backward(__global const float *y, int yo, __global const float *dy, int dyo,
                               __global float *dz, int dzo, int rows, int cols) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    int o = r * cols;
    dendrite_softmax_backward_row(y + yo + o, dy + dyo + o, dz + dzo + o, cols);
}

/* Keras's ReLU layer (dendrite_relu_layer), element-wise; y may alias x. */
__kernel void relu_layer_forward(__global const float *x, int xo, int n, float slope, int has_max, float max_value,
                                 float threshold, __global float *y, int yo) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    y[yo + i] = dendrite_relu_layer(x[xo + i], slope, has_max, max_value, threshold);
}

/* dx = dy * relu_layer'(x); dx may alias dy. */
__kernel void relu_layer_backward(__global const float *x, int xo, __global const float *dy, int dyo, int n,
                                  float slope, int has_max, float max_value, float threshold,
                                  __global float *dx, int dxo) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dx[dxo + i] = dy[dyo + i] * dendrite_relu_layer_derivative(x[xo + i], slope, has_max, max_value, threshold);
}

/* PReLU forward, alpha per column. */
__kernel void prelu_forward(__global const float *x, int xo, __global const float *alpha, int ao, int rows,
                            int cols, __global float *y, int yo) {
    int gid = get_global_id(0);
    if (gid >= rows * cols) {
        return;
    }
    y[yo + gid] = dendrite_prelu(x[xo + gid], alpha[ao + gid % cols]);
}

/*
 * PReLU backward laid out as activation_backward: work-item (c, chunk) writes dx = dy * prelu'(x) for column c of
 * its rows (if has_dx; dx may alias dy) and partial[chunk * cols + c] = sum of dy * min(x, 0) over them, which
 * reductions.cl's column_finalize adds up into the gradient of alpha.
 */
__kernel void prelu_backward(__global const float *x, int xo, __global const float *alpha, int ao,
                             __global const float *dy, int dyo, __global float *dx, int dxo, int has_dx, int rows,
                             int cols, int rows_per_chunk, __global float *partial, int po) {
    dendrite_column_chunk ch = dendrite_column_chunk_here(rows, rows_per_chunk);
    if (ch.c >= cols) {
        return;
    }
    float a = alpha[ao + ch.c];
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int r = ch.first; r < ch.end; r++) {
        int i = r * cols + ch.c;
        float g = dy[dyo + i];
        float v = x[xo + i];
        sum = dendrite_kahan_add(sum, g * dendrite_prelu_alpha_derivative(v));
        if (has_dx) {
            dx[dxo + i] = g * dendrite_prelu_derivative(v, a);
        }
    }
    partial[po + ch.chunk * cols + ch.c] = sum.sum;
}

/* Rescaling and Normalization (dendrite_feature_affine): feature c uses statistic c % period. */
__kernel void feature_affine(__global const float *x, int xo, int rows, int cols, __global const float *mean,
                             int mo, int has_mean, __global const float *variance, int vo, int has_variance,
                             int period, float scale, float offset, __global float *y, int yo) {
    int gid = get_global_id(0);
    if (gid >= rows * cols) {
        return;
    }
    int f = (gid % cols) % period;
    y[yo + gid] = dendrite_feature_affine(x[xo + gid], has_mean ? mean[mo + f] : 0.0f,
                                          has_variance ? variance[vo + f] : 1.0f, scale, offset);
}
