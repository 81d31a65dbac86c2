/*
 * noise.h - the per-element math of the noise layers (GaussianNoise, GaussianDropout, AlphaDropout), written once
 * for noise.cu and noise.cl and spelled the same way by the CPU definition, dev.dendrite.backend.Noise.
 *
 * Why Philox and not a stateful generator: a value is a pure function of (seed, element, step, stream), so the
 * backward pass regenerates the forward's noise instead of storing it, a recorded step (CUDA graph, OpenCL
 * recording) draws new noise on every replay because the step is read from counters[0] on the device, and every
 * backend draws the same noise for the same seed.
 *
 * A normal value by Box-Muller from one Philox block per four elements: element i takes block i / 4, the pair of
 * words (i & 2, (i & 2) + 1), and the cosine (i even) or sine (i odd) branch:
 *   u1 = ((w0 >> 8) + 1) * 2^-24 in (0, 1],  u2 = (w1 >> 8) * 2^-24 in [0, 1),
 *   z  = sqrt(-2 log u1) * (cos or sin)(2 pi u2).
 * The +1 keeps log away from 0; the 24-bit u1 bounds |z| by sqrt(-2 log 2^-24) = 5.77 (the normal's mass beyond
 * that is 8e-9). cospi/sinpi take 2 u2 exactly, so no rounding of 2 pi u2 enters the angle.
 */
#ifndef DENDRITE_NOISE_H
#define DENDRITE_NOISE_H

#include "dialect.h"
#include "philox.h"

/* The standard normal of element i (see above), from its Philox block r. */
DENDRITE_DEVICE float dendrite_noise_normal(dendrite_philox4 r, dendrite_u32 i) {
    dendrite_u32 a = (i & 2u) != 0u ? r.w2 : r.w0;
    dendrite_u32 b = (i & 2u) != 0u ? r.w3 : r.w1;
    float u1 = (float) ((a >> 8) + 1u) * 5.9604644775390625e-08f;
    float u2 = dendrite_philox_to_uniform(b);
    float radius = dendrite_sqrtf(-2.0f * dendrite_logf(u1));
    return radius * ((i & 1u) != 0u ? dendrite_sinpif(2.0f * u2) : dendrite_cospif(2.0f * u2));
}

/* Word (i & 3) of element i's block, for the keep test of AlphaDropout (the same word dropout uses). */
DENDRITE_DEVICE dendrite_u32 dendrite_noise_word(dendrite_philox4 r, dendrite_u32 i) {
    dendrite_u32 j = i & 3u;
    return j == 0u ? r.w0 : j == 1u ? r.w1 : j == 2u ? r.w2 : r.w3;
}

/* GaussianNoise: x + stddev * z. The backward pass is the identity. */
DENDRITE_DEVICE float dendrite_gaussian_noise(float x, float stddev, float z) {
    return x + stddev * z;
}

/* GaussianDropout, forward and backward alike: x * (1 + sigma * z), sigma = sqrt(rate / (1 - rate)). */
DENDRITE_DEVICE float dendrite_gaussian_dropout(float x, float sigma, float z) {
    return x * (1.0f + sigma * z);
}

/*
 * AlphaDropout (Keras 3): kept ? a * x + b : dropped, with a = ((1 - rate)(1 + rate alpha'^2))^-1/2,
 * b = -a alpha' rate, dropped = a alpha' + b and alpha' = -selu_alpha * selu_scale (computed once on the host,
 * Noise.java). The backward pass is the same function of dy with b = dropped = 0.
 */
DENDRITE_DEVICE float dendrite_alpha_dropout(float x, int kept, float a, float b, float dropped) {
    return kept ? a * x + b : dropped;
}

#endif /* DENDRITE_NOISE_H */
