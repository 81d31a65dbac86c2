/*
 * layernorm.cu - layer normalisation of each row of a rows x cols batch (../common/layernorm.h): forward (the same
 * in training and inference: no running statistics) and backward.
 *
 * Why a thread per row (forward, dx) and a thread per column (dgamma, dbeta): it is the plain first version, with
 * the reductions in a fixed order (Kahan, two passes for the variance: no E[x^2] - mean^2 cancellation), the same
 * order as layernorm.cl. At MLP widths (a few hundred features) a row fits in L1; a warp per row is the next step
 * if the profile shows these kernels.
 */
#include "common.cuh"
#include "layernorm.h"

/* y = gamma * (x - mean) * inv_std + beta per row; saves the row's mean and inv_std. gamma/beta may be null. */
DENDRITE_KERNEL void layernorm_forward(const float *x, int rows, int cols, const float *gamma, const float *beta,
                                       float eps, float *y, float *save_mean, float *save_inv_std) {
    dendrite_pdl_begin();
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        const float *xr = x + (size_t) r * cols;
        dendrite_kahan sum = dendrite_kahan_zero();
        for (int c = 0; c < cols; c++) {
            sum = dendrite_kahan_add(sum, xr[c]);
        }
        float mean = sum.sum / (float) cols;
        dendrite_kahan sq = dendrite_kahan_zero();
        for (int c = 0; c < cols; c++) {
            float d = xr[c] - mean;
            sq = dendrite_kahan_add(sq, d * d);
        }
        float inv = dendrite_bn_inv_std(sq.sum / (float) cols, eps);
        save_mean[r] = mean;
        save_inv_std[r] = inv;
        float *yr = y + (size_t) r * cols;
        for (int c = 0; c < cols; c++) {
            float g = gamma != nullptr ? gamma[c] : 1.0f;
            float b = beta != nullptr ? beta[c] : 0.0f;
            yr[c] = dendrite_bn_normalize(xr[c], mean, inv, g, b);
        }
    }
}

/* dx per row from the row's sums of dyg = dy * gamma and dyg * xhat. */
DENDRITE_KERNEL void layernorm_backward_dx(const float *x, const float *dy, int rows, int cols, const float *gamma,
                                           const float *save_mean, const float *save_inv_std, float *dx) {
    dendrite_pdl_begin();
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        size_t base = (size_t) r * cols;
        float mean = save_mean[r];
        float inv = save_inv_std[r];
        dendrite_kahan s1 = dendrite_kahan_zero();
        dendrite_kahan s2 = dendrite_kahan_zero();
        for (int c = 0; c < cols; c++) {
            float dyg = dendrite_ln_dyg(dy[base + c], gamma != nullptr ? gamma[c] : 1.0f);
            s1 = dendrite_kahan_add(s1, dyg);
            s2 = dendrite_kahan_add(s2, dyg * dendrite_bn_xhat(x[base + c], mean, inv));
        }
        for (int c = 0; c < cols; c++) {
            float dyg = dendrite_ln_dyg(dy[base + c], gamma != nullptr ? gamma[c] : 1.0f);
            float xhat = dendrite_bn_xhat(x[base + c], mean, inv);
            dx[base + c] = dendrite_ln_dx(dyg, xhat, inv, (float) cols, s1.sum, s2.sum);
        }
    }
}

/* dgamma[c] = sum over rows of dy * xhat, dbeta[c] = sum over rows of dy; each written only when non-null. */
DENDRITE_KERNEL void layernorm_backward_params(const float *x, const float *dy, int rows, int cols,
                                               const float *save_mean, const float *save_inv_std, float *dgamma,
                                               float *dbeta) {
    dendrite_pdl_begin();
    for (unsigned int c = DENDRITE_GRID_START; c < (unsigned int) cols; c += DENDRITE_GRID_STRIDE) {
        dendrite_kahan sg = dendrite_kahan_zero();
        dendrite_kahan sb = dendrite_kahan_zero();
        for (int r = 0; r < rows; r++) {
            size_t i = (size_t) r * cols + c;
            sb = dendrite_kahan_add(sb, dy[i]);
            sg = dendrite_kahan_add(sg, dy[i] * dendrite_bn_xhat(x[i], save_mean[r], save_inv_std[r]));
        }
        if (dgamma != nullptr) {
            dgamma[c] = sg.sum;
        }
        if (dbeta != nullptr) {
            dbeta[c] = sb.sum;
        }
    }
}
