/*
 * activations.cu - bias + activation forward, and activation backward fused with the bias gradient.
 *
 * Why these shapes: in a small MLP every layer's bias add, activation and (backward) bias-gradient column
 * sum would each be a launch and a full pass over a batch x units matrix. Forward fuses the bias add into the
 * activation (z is updated in place because the backward pass needs the pre-activation). Backward fuses
 * dz = dy * f'(z) with the column sums of dz: a block owns 32 adjacent columns over all rows, so the bias
 * gradient comes out of the same pass, in a fixed order, with no second kernel and no atomics.
 *
 * A Dropout right after a dense layer runs inside these kernels (Backend.denseDropoutForward and
 * activationDropoutBackward): the forward also writes the dropped output, the backward drops each gradient as it
 * reads it (common.cuh's dendrite_fused_dropout; off without drop_counters).
 *
 * The activation math (codes DENDRITE_ACT_*, values and derivatives) is kernels/common/activations.h.
 * Softmax is row-wise: one warp per row, shuffles for the max and the sum.
 */
#include "common.cuh"
#include "activations.h"
#include "gemm_tiled.h" /* its shared part only: the element bodies of gemm_simple and gemm_fold */

/*
 * z[r, c] += bias[c] (bias may be null), then y = f(z), and with a dropout y_dropped = dropout(y). y may alias z only
 * for LINEAR.
 */
DENDRITE_KERNEL void bias_activation_forward(float *z, const float *bias, int rows, int cols, int act,
                                             float alpha, float *y, float *y_dropped, float drop_rate,
                                             unsigned int seed_lo, unsigned int seed_hi, int stream,
                                             const int *drop_counters) {
    dendrite_pdl_begin();
    dendrite_fused_dropout drop = dendrite_fused_dropout_of(drop_rate, seed_lo, seed_hi, stream, drop_counters);
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        dendrite_bias_activation_element(z, bias, bias != nullptr, (int) i, cols, act, alpha, y);
        if (drop.on) {
            y_dropped[i] = dendrite_fused_drop(drop, y[i], i);
        }
    }
}

/*
 * Row-wise softmax after the optional bias add (stored into z): one warp per row, so the max and the sum
 * are two shuffle reductions; lanes stride over the columns. Rows are assigned warp-stride over the grid.
 */
DENDRITE_KERNEL void softmax_forward(float *z, const float *bias, int rows, int cols, float *y) {
    dendrite_pdl_begin();
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        dendrite_softmax_row_warp(z + (size_t) r * cols, bias, cols, y + (size_t) r * cols, lane);
    }
}

/* dz = dropout(dy) * f'(z), element-wise, without a bias gradient. dz may alias dy. */
DENDRITE_KERNEL void activation_backward(const float *z, const float *dy, float *dz, int n, int act,
                                         float alpha, float drop_rate, unsigned int seed_lo, unsigned int seed_hi,
                                         int stream, const int *drop_counters) {
    dendrite_pdl_begin();
    dendrite_fused_dropout drop = dendrite_fused_dropout_of(drop_rate, seed_lo, seed_hi, stream, drop_counters);
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dz[i] = dendrite_fused_drop(drop, dy[i], i) * dendrite_activation_derivative(act, alpha, z[i]);
    }
}

/*
 * dz = dy * f'(z) and dbias[c] = sum over rows of dz[r, c], in one pass. Block (32, DENDRITE_TILE_ROWS),
 * grid ceil(cols / 32): thread (x, y) handles column blockIdx.x * 32 + x for rows y, y + blockDim.y, ...
 * dz may alias dy (each element is read, then written, by the same thread).
 *
 * dy may also be the layer above's input gradient dz_next w_next^T, not yet computed
 * (Backend.inputGradientActivationBackward), so that the product costs no kernel of its own: with splits > 0 the
 * element folds the split product's partial sums (gemm_fold's arithmetic), else with w_next non-null it is the
 * thin product over k (gemm_simple's); either is written to dz and read back, the same bits as the two kernels.
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_TILE_THREADS)
activation_backward_bias(const float *z, const float *dy, float *dz, float *dbias, int rows, int cols, int act,
                         float alpha, float drop_rate, unsigned int seed_lo, unsigned int seed_hi, int stream,
                         const int *drop_counters, const float *dz_next, const float *w_next, int k,
                         const float *partials, int splits) {
    dendrite_pdl_begin();
    dendrite_fused_dropout drop = dendrite_fused_dropout_of(drop_rate, seed_lo, seed_hi, stream, drop_counters);
    int c = blockIdx.x * DENDRITE_TILE_COLS + threadIdx.x;
    dendrite_kahan acc = dendrite_kahan_zero();
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            size_t i = (size_t) r * cols + c;
            float g;
            if (splits > 0) {
                dendrite_gemm_fold_element((int) i, rows * cols, splits, 1.0f, partials, 0.0f, dz);
                g = dz[i];
            } else if (w_next != nullptr) {
                dendrite_gemm_simple_element(0, 1, rows, cols, k, 1.0f, dz_next, w_next, 0.0f, dz, r, c);
                g = dz[i];
            } else {
                g = dy[i];
            }
            float d = dendrite_fused_drop(drop, g, i) * dendrite_activation_derivative(act, alpha, z[i]);
            dz[i] = d;
            acc = dendrite_kahan_add(acc, d);
        }
    }
    float total = dendrite_tile_column_sum(acc.sum);
    if (threadIdx.y == 0 && c < cols) {
        dbias[c] = total;
    }
}

/*
 * Softmax backward, one warp per row: dz = y * (dy - sum(dy * y)). dz may alias dy: every lane has read
 * its dy before the shuffle that completes the dot product, and writes only its own columns after it.
 */
DENDRITE_KERNEL void softmax_backward(const float *y, const float *dy, float *dz, int rows, int cols) {
    dendrite_pdl_begin();
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        const float *yr = y + (size_t) r * cols;
        const float *dyr = dy + (size_t) r * cols;
        float *dzr = dz + (size_t) r * cols;
        float dot = 0.0f;
        for (int c = lane; c < cols; c += 32) {
            dot += dyr[c] * yr[c];
        }
        dot = dendrite_warp_sum(dot);
        for (int c = lane; c < cols; c += 32) {
            dzr[c] = yr[c] * (dyr[c] - dot);
        }
    }
}

/* Keras's ReLU layer (dendrite_relu_layer), element-wise; y may alias x. */
DENDRITE_KERNEL void relu_layer_forward(const float *x, int n, float slope, int has_max, float max_value,
                                        float threshold, float *y) {
    dendrite_pdl_begin();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        y[i] = dendrite_relu_layer(x[i], slope, has_max, max_value, threshold);
    }
}

/* dx = dy * relu_layer'(x); dx may alias dy. */
DENDRITE_KERNEL void relu_layer_backward(const float *x, const float *dy, int n, float slope, int has_max,
                                         float max_value, float threshold, float *dx) {
    dendrite_pdl_begin();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dx[i] = dy[i] * dendrite_relu_layer_derivative(x[i], slope, has_max, max_value, threshold);
    }
}

/* PReLU forward, alpha per column. */
DENDRITE_KERNEL void prelu_forward(const float *x, const float *alpha, int rows, int cols, float *y) {
    dendrite_pdl_begin();
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        y[i] = dendrite_prelu(x[i], alpha[i % (unsigned int) cols]);
    }
}

/*
 * PReLU backward: dx = dy * prelu'(x) (dx may be null, or alias dy) and dalpha[c] = sum over rows of
 * dy * min(x, 0), in one pass laid out as activation_backward_bias: a block owns 32 columns over all rows, so
 * the per-unit reduction is deterministic and needs no atomics.
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_TILE_THREADS)
prelu_backward(const float *x, const float *alpha, const float *dy, float *dx, float *dalpha, int rows, int cols) {
    dendrite_pdl_begin();
    int c = blockIdx.x * DENDRITE_TILE_COLS + threadIdx.x;
    dendrite_kahan acc = dendrite_kahan_zero();
    if (c < cols) {
        float a = alpha[c];
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            size_t i = (size_t) r * cols + c;
            float g = dy[i];
            float v = x[i];
            acc = dendrite_kahan_add(acc, g * dendrite_prelu_alpha_derivative(v));
            if (dx != nullptr) {
                dx[i] = g * dendrite_prelu_derivative(v, a);
            }
        }
    }
    float total = dendrite_tile_column_sum(acc.sum);
    if (threadIdx.y == 0 && c < cols) {
        dalpha[c] = total;
    }
}

/*
 * Rescaling and Normalization (dendrite_feature_affine): feature c of a row uses statistic c % period; mean
 * and variance may be null (0 and 1). y may alias x.
 */
DENDRITE_KERNEL void feature_affine(const float *x, int rows, int cols, const float *mean, const float *variance,
                                    int period, float scale, float offset, float *y) {
    dendrite_pdl_begin();
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        unsigned int f = (i % (unsigned int) cols) % (unsigned int) period;
        y[i] = dendrite_feature_affine(x[i], mean == nullptr ? 0.0f : mean[f],
                                       variance == nullptr ? 1.0f : variance[f], scale, offset);
    }
}
