/*
 * batchnorm.cu - batch normalisation per column of a rows x cols batch: training forward (batch statistics,
 * running statistics, normalise), inference forward, and backward.
 *
 * Why one block per 32 columns over all rows: the statistics of a column need every row, and a block that
 * owns whole columns computes mean, variance (two passes over squared deviations, no E[x^2] - mean^2
 * cancellation), the running-statistics update and the normalised output in ONE launch, in a fixed
 * reduction order. The second and third passes re-read x from L1/L2, which at MLP batch sizes (<= a few
 * thousand rows) is cheaper than extra launches. Block (32, DENDRITE_TILE_ROWS), grid ceil(cols / 32).
 *
 * A Dropout right after the layer runs inside both training kernels (Backend.batchNormDropoutForward/Backward):
 * the forward drops each value as it writes it, the backward each gradient as it reads it, with dropout's own
 * element (common.cuh's dendrite_fused_dropout), so the dropout layer costs no launch of its own.
 */
#include "common.cuh"
#include "gemm_tiled.h" /* its shared part only: the element bodies of gemm_simple and gemm_fold */
#include "batchnorm.h"
#include "activations.h"

/*
 * y = gamma * (x - mean) * inv_std + beta with the batch's mean and biased variance; writes save_mean and
 * save_inv_std = 1 / sqrt(var + eps) for the backward pass and moves the running statistics as Keras does:
 * running = momentum * running + (1 - momentum) * batch (../common/batchnorm.h). gamma / beta may be null
 * (ones / zeros).
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_TILE_THREADS)
batchnorm_forward_training(float *x, int rows, int cols, const float *gamma, const float *beta, float eps,
                           float momentum, float *running_mean, float *running_var, float *y, float *save_mean,
                           float *save_inv_std, float drop_rate, unsigned int seed_lo, unsigned int seed_hi,
                           int stream, const int *drop_counters, int has_dense, const float *partials, int splits,
                           const float *bias, int act, float alpha, float *z) {
    dendrite_pdl_begin();
    __shared__ float mean_s[DENDRITE_TILE_COLS];
    __shared__ float inv_s[DENDRITE_TILE_COLS];
    int c = blockIdx.x * DENDRITE_TILE_COLS + threadIdx.x;
    bool active = c < cols;

    /*
     * The dense layer before, after its product (Backend.denseBatchNormForward): z (folded from a split product's
     * partial sums where splits > 0, as gemm_fold) plus the bias, and x = f(z), bias_activation_forward's element; each
     * thread writes the elements it reads back below, so the bits are the separate kernels'.
     */
    if (has_dense && active) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            int i = r * cols + c;
            if (splits > 0) {
                dendrite_gemm_fold_element(i, rows * cols, splits, 1.0f, partials, 0.0f, z);
            }
            dendrite_bias_activation_element(z, bias, bias != nullptr, i, cols, act, alpha, x);
        }
    }

    dendrite_kahan sum = dendrite_kahan_zero();
    if (active) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            sum = dendrite_kahan_add(sum, x[(size_t) r * cols + c]);
        }
    }
    float total = dendrite_tile_column_sum(sum.sum);
    if (threadIdx.y == 0) {
        mean_s[threadIdx.x] = total / (float) rows;
    }
    __syncthreads();
    float mean = mean_s[threadIdx.x];

    dendrite_kahan sq = dendrite_kahan_zero();
    if (active) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            float d = x[(size_t) r * cols + c] - mean;
            sq = dendrite_kahan_add(sq, d * d);
        }
    }
    float sq_total = dendrite_tile_column_sum(sq.sum);
    if (threadIdx.y == 0) {
        float var = sq_total / (float) rows;
        float inv = dendrite_bn_inv_std(var, eps);
        inv_s[threadIdx.x] = inv;
        if (active) {
            save_mean[c] = mean;
            save_inv_std[c] = inv;
            running_mean[c] = dendrite_bn_running(momentum, running_mean[c], mean);
            running_var[c] = dendrite_bn_running(momentum, running_var[c], var);
        }
    }
    __syncthreads();
    if (!active) {
        return;
    }
    float inv = inv_s[threadIdx.x];
    float g = gamma != nullptr ? gamma[c] : 1.0f;
    float b = beta != nullptr ? beta[c] : 0.0f;
    dendrite_fused_dropout drop = dendrite_fused_dropout_of(drop_rate, seed_lo, seed_hi, stream, drop_counters);
    for (int r = threadIdx.y; r < rows; r += blockDim.y) {
        size_t i = (size_t) r * cols + c;
        y[i] = dendrite_fused_drop(drop, dendrite_bn_normalize(x[i], mean, inv, g, b), i);
    }
}

/* Inference: the same normalisation with the running statistics; element-wise. */
DENDRITE_KERNEL void batchnorm_forward_inference(const float *x, int rows, int cols, const float *gamma,
                                                 const float *beta, float eps, const float *running_mean,
                                                 const float *running_var, float *y) {
    dendrite_pdl_begin();
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        unsigned int c = i % (unsigned int) cols;
        float g = gamma != nullptr ? gamma[c] : 1.0f;
        float b = beta != nullptr ? beta[c] : 0.0f;
        float inv = dendrite_bn_inv_std(running_var[c], eps);
        y[i] = dendrite_bn_normalize(x[i], running_mean[c], inv, g, b);
    }
}

/*
 * Backward: dbeta = sum dy, dgamma = sum dy xhat and dx (../common/batchnorm.h). Each of dx, dgamma, dbeta is written only when
 * non-null (dx == null: the layer is the first that trains, only its parameter gradients are wanted).
 *
 * Between two dense layers (Backend.batchNormBackwardBetween) both ends may run here too. dy may be the dense layer
 * above's input gradient dz_next w_next^T, not yet computed, as in activations.cu's activation_backward_bias: the
 * first pass folds a split product's partial sums (splits > 0) or computes the thin product (w_next non-null) into
 * dy, and the same thread reads each element back in both passes. With z_below non-null, dx goes through the
 * backward pass of the activation of the dense layer below (x being its output): dx = dx * f'(z_below), and that
 * layer's bias gradient dbias_below (if non-null) is the column sum, added in activation_backward_bias's order
 * (this kernel's block and its rows per thread are that kernel's), so the bits are the three kernels'.
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_TILE_THREADS)
batchnorm_backward(const float *x, float *dy, int rows, int cols, const float *gamma, const float *save_mean,
                   const float *save_inv_std, float *dx, float *dgamma, float *dbeta, float drop_rate,
                   unsigned int seed_lo, unsigned int seed_hi, int stream, const int *drop_counters,
                   const float *dz_next, const float *w_next, int k, const float *partials, int splits,
                   const float *z_below, int act_below, float alpha_below, float *dbias_below) {
    dendrite_pdl_begin();
    __shared__ float sum_dy_s[DENDRITE_TILE_COLS];
    __shared__ float sum_dyx_s[DENDRITE_TILE_COLS];
    int c = blockIdx.x * DENDRITE_TILE_COLS + threadIdx.x;
    bool active = c < cols;
    float mean = active ? save_mean[c] : 0.0f;
    float inv = active ? save_inv_std[c] : 0.0f;
    dendrite_fused_dropout drop = dendrite_fused_dropout_of(drop_rate, seed_lo, seed_hi, stream, drop_counters);

    dendrite_kahan sdy = dendrite_kahan_zero();
    dendrite_kahan sdyx = dendrite_kahan_zero();
    if (active) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            size_t i = (size_t) r * cols + c;
            if (splits > 0) {
                dendrite_gemm_fold_element((int) i, rows * cols, splits, 1.0f, partials, 0.0f, dy);
            } else if (w_next != nullptr) {
                dendrite_gemm_simple_element(0, 1, rows, cols, k, 1.0f, dz_next, w_next, 0.0f, dy, r, c);
            }
            float g = dendrite_fused_drop(drop, dy[i], i);
            sdy = dendrite_kahan_add(sdy, g);
            sdyx = dendrite_kahan_add(sdyx, g * dendrite_bn_xhat(x[i], mean, inv));
        }
    }
    float total_dy = dendrite_tile_column_sum(sdy.sum);
    float total_dyx = dendrite_tile_column_sum(sdyx.sum);
    if (threadIdx.y == 0) {
        sum_dy_s[threadIdx.x] = total_dy;
        sum_dyx_s[threadIdx.x] = total_dyx;
        if (active && dgamma != nullptr) {
            dgamma[c] = total_dyx;
        }
        if (active && dbeta != nullptr) {
            dbeta[c] = total_dy;
        }
    }
    if (dx == nullptr) {
        return;
    }
    __syncthreads();
    float n = (float) rows;
    dendrite_kahan below = dendrite_kahan_zero();
    if (active) {
        float a = sum_dy_s[threadIdx.x];
        float b = sum_dyx_s[threadIdx.x];
        float g = gamma != nullptr ? gamma[c] : 1.0f;
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            size_t i = (size_t) r * cols + c;
            float v = dendrite_bn_dx(dendrite_fused_drop(drop, dy[i], i), dendrite_bn_xhat(x[i], mean, inv), g, inv, n,
                                     a, b);
            if (z_below != nullptr) {
                v = v * dendrite_activation_derivative(act_below, alpha_below, z_below[i]);
                below = dendrite_kahan_add(below, v);
            }
            dx[i] = v;
        }
    }
    if (z_below != nullptr && dbias_below != nullptr) { /* uniform over the block: every thread reaches the barriers */
        float total = dendrite_tile_column_sum(below.sum);
        if (threadIdx.y == 0 && active) {
            dbias_below[c] = total;
        }
    }
}
