/*
 * mixup.h - mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization") inside the training step, one
 * source for CUDA and OpenCL; dev.dendrite.backend.Mixup is the Java definition (the same draws; its logarithms
 * and exponentials are Java's, so backends agree to a few ulps, not bit for bit).
 *
 * Each sample r of a batch of n gets its own lambda ~ Beta(alpha, alpha) and a partner p(r), and becomes
 *   x'[r] = lam x[r] + (1 - lam) x[p(r)],   y'[r] = lam y[r] + (1 - lam) y[p(r)]   (class indices as one-hot rows).
 *
 * Beta from two Gammas: lam = X / (X + Y), X, Y ~ Gamma(alpha), each by Marsaglia and Tsang (2000) for shape
 * alpha >= 1 and, below 1, with their boost Gamma(alpha) = Gamma(alpha + 1) U^(1/alpha). The ratio is taken in
 * logs, lam = 1 / (1 + exp(log Y - log X)), so that a tiny alpha (U^(1/alpha) underflowing to 0) still gives a lam
 * in [0, 1] and never 0 / 0.
 * Marsaglia-Tsang attempt k of Gamma X uses the Philox block (r, step, stream + k), of Y (r, step, stream + 8 + k):
 * a normal z by Box-Muller from words 0 and 1 (as noise.h), the acceptance uniform from word 2; accept when
 * v = (1 + c z)^3 > 0 and log u < z^2 / 2 + d - d v + d log v (d = shape - 1/3, c = 1 / sqrt(9 d)). An attempt is
 * accepted with probability above 0.95 for shape >= 1, so 8 attempts fail with probability below 4e-11; then the
 * draw is d (the mode, roughly). The boost uniforms are word 3 of attempt 0's block of X and of Y.
 *
 * The partner: p(r) = (a r + b) mod n, a permutation of the batch because gcd(a, n) = 1; a and b come from the
 * Philox block (0, step, stream + 16): b uniform in [0, n), a the first unit mod n at or after a uniform start in
 * [1, n). Each sample's partner is uniform over the batch (through b), and a and b change every step, which is what
 * mixup needs; it is not a uniform draw among all n! permutations (a sort or a Fisher-Yates pass would cost a second
 * kernel and a scratch buffer per step).
 */
#ifndef DENDRITE_MIXUP_H
#define DENDRITE_MIXUP_H

#include "dialect.h"
#include "philox.h"

#define DENDRITE_MIXUP_ATTEMPTS 8

/* log of a Gamma(shape) draw, shape >= 1, Marsaglia-Tsang on the blocks (r, step, stream + k), k < 8. */
DENDRITE_DEVICE float dendrite_mixup_log_gamma(dendrite_u32 key0, dendrite_u32 key1, dendrite_u32 r, dendrite_u32 step,
                                               dendrite_u32 stream, float shape) {
    float d = shape - 0.333333333f;
    float c = 1.0f / dendrite_sqrtf(9.0f * d);
    for (int k = 0; k < DENDRITE_MIXUP_ATTEMPTS; k++) {
        dendrite_philox4 b = dendrite_philox_block(key0, key1, r, step, stream + (dendrite_u32) k);
        float u1 = (float) ((b.w0 >> 8) + 1u) * 5.9604644775390625e-08f;
        float u2 = dendrite_philox_to_uniform(b.w1);
        float z = dendrite_sqrtf(-2.0f * dendrite_logf(u1)) * dendrite_cospif(2.0f * u2);
        float u = (float) ((b.w2 >> 8) + 1u) * 5.9604644775390625e-08f;
        float t = dendrite_fmaf(c, z, 1.0f);
        if (t > 0.0f) {
            float v = t * t * t;
            float lv = dendrite_logf(v);
            float bound = dendrite_fmaf(0.5f * z, z, d - d * v + d * lv);
            if (dendrite_logf(u) < bound) {
                return dendrite_logf(d) + lv;
            }
        }
    }
    return dendrite_logf(d);
}

/* The word-3 uniform in (0, 1] of attempt 0's block, for the boost below shape 1. */
DENDRITE_DEVICE float dendrite_mixup_boost_uniform(dendrite_u32 key0, dendrite_u32 key1, dendrite_u32 r,
                                                   dendrite_u32 step, dendrite_u32 stream) {
    dendrite_philox4 b = dendrite_philox_block(key0, key1, r, step, stream);
    return (float) ((b.w3 >> 8) + 1u) * 5.9604644775390625e-08f;
}

/* log of a Gamma(alpha) draw for any alpha > 0. */
DENDRITE_DEVICE float dendrite_mixup_log_gamma_any(dendrite_u32 key0, dendrite_u32 key1, dendrite_u32 r,
                                                   dendrite_u32 step, dendrite_u32 stream, float alpha) {
    if (alpha >= 1.0f) {
        return dendrite_mixup_log_gamma(key0, key1, r, step, stream, alpha);
    }
    float g = dendrite_mixup_log_gamma(key0, key1, r, step, stream, alpha + 1.0f);
    return g + dendrite_logf(dendrite_mixup_boost_uniform(key0, key1, r, step, stream)) / alpha;
}

/* Sample r's lambda ~ Beta(alpha, alpha). */
DENDRITE_DEVICE float dendrite_mixup_lambda(dendrite_u32 key0, dendrite_u32 key1, dendrite_u32 r, dendrite_u32 step,
                                            dendrite_u32 stream, float alpha) {
    float lx = dendrite_mixup_log_gamma_any(key0, key1, r, step, stream, alpha);
    float ly = dendrite_mixup_log_gamma_any(key0, key1, r, step, stream + (dendrite_u32) DENDRITE_MIXUP_ATTEMPTS,
                                            alpha);
    return 1.0f / (1.0f + dendrite_expf(ly - lx));
}

DENDRITE_DEVICE dendrite_u32 dendrite_mixup_gcd(dendrite_u32 a, dendrite_u32 b) {
    while (b != 0u) {
        dendrite_u32 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The partner of sample r in a batch of n (see above). */
DENDRITE_DEVICE int dendrite_mixup_partner(dendrite_u32 key0, dendrite_u32 key1, int r, int n, dendrite_u32 step,
                                           dendrite_u32 stream) {
    if (n < 2) {
        return r;
    }
    dendrite_philox4 b = dendrite_philox_block(key0, key1, 0u, step, stream + 2u * DENDRITE_MIXUP_ATTEMPTS);
    dendrite_u32 un = (dendrite_u32) n;
    dendrite_u32 a = 1u + b.w0 % (un - 1u);
    while (dendrite_mixup_gcd(a, un) != 1u) {
        a = a + 1u == un ? 1u : a + 1u;
    }
    dendrite_u32 off = b.w1 % un;
    return (int) (((dendrite_u64) a * (dendrite_u64) (dendrite_u32) r + (dendrite_u64) off) % (dendrite_u64) un);
}

/* lam a + (1 - lam) b, as one fused multiply-add, so that every backend rounds it once. */
DENDRITE_DEVICE float dendrite_mixup_mix(float lam, float a, float b) {
    return dendrite_fmaf(lam, a - b, b);
}

#endif /* DENDRITE_MIXUP_H */
