/*
 * layernorm.cl - layer normalisation of each row of a rows x cols batch (../common/layernorm.h): forward (the same
 * in training and inference) and backward. A work-item per row (forward, dx) and per column (dgamma, dbeta), the
 * reductions in the fixed order of layernorm.cu: Kahan sums, two passes for the variance.
 */
#include "../common/layernorm.h"

/* y = gamma * (x - mean) * inv_std + beta per row; saves the row's mean and inv_std. */
__kernel void layernorm_forward(__global const float *x, int xo, int rows, int cols, __global const float *gamma,
                                int go, int has_gamma, __global const float *beta, int bo, int has_beta, float eps,
                                __global float *y, int yo, __global float *save_mean, int mo,
                                __global float *save_inv_std, int io) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    int base = r * cols;
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int c = 0; c < cols; c++) {
        sum = dendrite_kahan_add(sum, x[xo + base + c]);
    }
    float mean = sum.sum / (float) cols;
    dendrite_kahan sq = dendrite_kahan_zero();
    for (int c = 0; c < cols; c++) {
        float d = x[xo + base + c] - mean;
        sq = dendrite_kahan_add(sq, d * d);
    }
    float inv = dendrite_bn_inv_std(sq.sum / (float) cols, eps);
    save_mean[mo + r] = mean;
    save_inv_std[io + r] = inv;
    for (int c = 0; c < cols; c++) {
        float g = has_gamma ? gamma[go + c] : 1.0f;
        float b = has_beta ? beta[bo + c] : 0.0f;
        y[yo + base + c] = dendrite_bn_normalize(x[xo + base + c], mean, inv, g, b);
    }
}

/* dx per row from the row's sums of dyg = dy * gamma and dyg * xhat. */
__kernel void layernorm_backward_dx(__global const float *x, int xo, __global const float *dy, int dyo, int rows,
                                    int cols, __global const float *gamma, int go, int has_gamma,
                                    __global const float *save_mean, int mo, __global const float *save_inv_std,
                                    int io, __global float *dx, int dxo) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    int base = r * cols;
    float mean = save_mean[mo + r];
    float inv = save_inv_std[io + r];
    dendrite_kahan s1 = dendrite_kahan_zero();
    dendrite_kahan s2 = dendrite_kahan_zero();
    for (int c = 0; c < cols; c++) {
        float dyg = dendrite_ln_dyg(dy[dyo + base + c], has_gamma ? gamma[go + c] : 1.0f);
        s1 = dendrite_kahan_add(s1, dyg);
        s2 = dendrite_kahan_add(s2, dyg * dendrite_bn_xhat(x[xo + base + c], mean, inv));
    }
    for (int c = 0; c < cols; c++) {
        float dyg = dendrite_ln_dyg(dy[dyo + base + c], has_gamma ? gamma[go + c] : 1.0f);
        float xhat = dendrite_bn_xhat(x[xo + base + c], mean, inv);
        dx[dxo + base + c] = dendrite_ln_dx(dyg, xhat, inv, (float) cols, s1.sum, s2.sum);
    }
}

/* dgamma[c] = sum over rows of dy * xhat, dbeta[c] = sum over rows of dy; each written only when has_*. */
__kernel void layernorm_backward_params(__global const float *x, int xo, __global const float *dy, int dyo,
                                        int rows, int cols, __global const float *save_mean, int mo,
                                        __global const float *save_inv_std, int io, __global float *dgamma, int dgo,
                                        int has_dgamma, __global float *dbeta, int dbo, int has_dbeta) {
    int c = get_global_id(0);
    if (c >= cols) {
        return;
    }
    dendrite_kahan sg = dendrite_kahan_zero();
    dendrite_kahan sb = dendrite_kahan_zero();
    for (int r = 0; r < rows; r++) {
        int i = r * cols + c;
        float g = dy[dyo + i];
        sb = dendrite_kahan_add(sb, g);
        sg = dendrite_kahan_add(sg, g * dendrite_bn_xhat(x[xo + i], save_mean[mo + r], save_inv_std[io + r]));
    }
    if (has_dgamma) {
        dgamma[dgo + c] = sg.sum;
    }
    if (has_dbeta) {
        dbeta[dbo + c] = sb.sum;
    }
}
