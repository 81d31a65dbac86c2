/*
 * batchnorm.h - the per-element math of batch normalisation, written once for batchnorm.cu and batchnorm.cl
 * (and spelled the same way, operation for operation, by the CPU reference: CpuBatchNormOps, CpuLoops).
 *
 * The kernels differ only in how they sum a column (a block per 32 columns over all rows in CUDA, chunk
 * partials in OpenCL); what they do with the sums is here: the biased variance's inverse standard deviation,
 * the running statistics, the normalisation, and the backward pass's xhat and dx.
 */
#ifndef DENDRITE_BATCHNORM_H
#define DENDRITE_BATCHNORM_H

#include "dialect.h"
#include "sums.h"

/* 1 / sqrt(var + eps): what the forward pass saves for the backward one. */
DENDRITE_DEVICE float dendrite_bn_inv_std(float var, float eps) {
    return 1.0f / dendrite_sqrtf(var + eps);
}

/*
 * A running statistic moved as Keras moves it: running = momentum * running + (1 - momentum) * batch, with one
 * rounding of the result (dendrite_dot2), as the CPU reference computes it in double: a running mean can cancel
 * against a batch mean of the other sign, which the plain float expression would get wrong by an ulp of the terms.
 */
DENDRITE_DEVICE float dendrite_bn_running(float momentum, float running, float batch) {
    return dendrite_dot2(momentum, running, 1.0f - momentum, batch);
}

/* y = gamma * (x - mean) * inv_std + beta (gamma = 1 and beta = 0 when the layer has none). */
DENDRITE_DEVICE float dendrite_bn_normalize(float x, float mean, float inv_std, float gamma, float beta) {
    return gamma * (x - mean) * inv_std + beta;
}

/* xhat = (x - mean) * inv_std: the normalised input the backward pass sums dy * xhat over. */
DENDRITE_DEVICE float dendrite_bn_xhat(float x, float mean, float inv_std) {
    return (x - mean) * inv_std;
}

/*
 * dx = gamma * inv_std / n * (n * dy - sum dy - xhat * sum(dy * xhat)), the dyhat = gamma * dy form with gamma
 * factored out of both sums.
 */
DENDRITE_DEVICE float dendrite_bn_dx(float dy, float xhat, float gamma, float inv_std, float n, float sum_dy,
                                     float sum_dy_xhat) {
    return gamma * inv_std / n * (n * dy - sum_dy - xhat * sum_dy_xhat);
}

#endif /* DENDRITE_BATCHNORM_H */
