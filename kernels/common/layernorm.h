/*
 * layernorm.h - the per-element math of layer normalisation, for layernorm.cu and layernorm.cl (and spelled the
 * same way by the CPU backend, CpuLayerNormOps).
 *
 * Layer normalisation is batch normalisation turned sideways: the statistics are a row's (one sample's features),
 * not a column's, and gamma/beta are still per column. The normalisation, xhat and inverse standard deviation are
 * batchnorm.h's. Only dx differs: gamma varies along the row being reduced, so it cannot be factored out of the
 * sums; with dyg = dy * gamma the formula is batch norm's with gamma = 1 applied to dyg:
 *   dx = inv_std / n * (n * dyg - sum dyg - xhat * sum(dyg * xhat))   (sums over the row).
 * dgamma = sum over rows of dy * xhat and dbeta = sum over rows of dy, per column.
 */
#ifndef DENDRITE_LAYERNORM_H
#define DENDRITE_LAYERNORM_H

#include "dialect.h"
#include "sums.h"
#include "batchnorm.h"

/* dy * gamma: the gradient with respect to xhat, what the row sums of the backward pass are taken over. */
DENDRITE_DEVICE float dendrite_ln_dyg(float dy, float gamma) {
    return dy * gamma;
}

/* dx of one element from its row's sums of dyg and dyg * xhat (see above). */
DENDRITE_DEVICE float dendrite_ln_dx(float dyg, float xhat, float inv_std, float n, float sum_dyg,
                                     float sum_dyg_xhat) {
    return dendrite_bn_dx(dyg, xhat, 1.0f, inv_std, n, sum_dyg, sum_dyg_xhat);
}

#endif /* DENDRITE_LAYERNORM_H */
