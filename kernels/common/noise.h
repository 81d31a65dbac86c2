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

/*
 * Both Gaussian layers: x * (1 + mul * z) + add * z. GaussianNoise is add = stddev, mul = 0 (x + stddev z; its
 * backward pass is the identity); GaussianDropout, forward and backward alike, is add = 0,
 * mul = sigma = sqrt(rate / (1 - rate)). The zero term changes nothing: x * 1 and + 0 are exact.
 */
DENDRITE_DEVICE float dendrite_gaussian(float x, float z, float add, float mul) {
    return x * (1.0f + mul * z) + add * z;
}

/*
 * AlphaDropout (Keras 3): kept ? a * x + b : dropped, with a = ((1 - rate)(1 + rate alpha'^2))^-1/2,
 * b = -a alpha' rate, dropped = a alpha' + b and alpha' = -selu_alpha * selu_scale (computed once on the host,
 * Noise.java). The backward pass is the same function of dy with b = dropped = 0.
 */
DENDRITE_DEVICE float dendrite_alpha_dropout(float x, int kept, float a, float b, float dropped) {
    return kept ? a * x + b : dropped;
}

/*
 * The elements 4 b .. 4 b + 3 (those below n) of Philox block b, whose words are r: what one CUDA thread or OpenCL
 * work-item does per block, for both dialects. x and y point at their slices' first elements; y may alias x.
 */
DENDRITE_DEVICE void dendrite_gaussian_block(DENDRITE_GLOBAL const float *x, DENDRITE_GLOBAL float *y, dendrite_u32 n,
                                             dendrite_u32 b, dendrite_philox4 r, float add, float mul) {
    for (dendrite_u32 j = 0; j < 4u; j++) {
        dendrite_u32 i = 4u * b + j;
        if (i < n) {
            y[i] = dendrite_gaussian(x[i], dendrite_noise_normal(r, i), add, mul);
        }
    }
}

/* The same for AlphaDropout: element i is kept when the uniform of its word is at least rate. */
DENDRITE_DEVICE void dendrite_alpha_dropout_block(DENDRITE_GLOBAL const float *x, DENDRITE_GLOBAL float *y,
                                                  dendrite_u32 n, dendrite_u32 b, dendrite_philox4 r, float rate,
                                                  float a, float shift, float dropped) {
    for (dendrite_u32 j = 0; j < 4u; j++) {
        dendrite_u32 i = 4u * b + j;
        if (i < n) {
            int kept = dendrite_philox_to_uniform(dendrite_noise_word(r, i)) >= rate;
            y[i] = dendrite_alpha_dropout(x[i], kept, a, shift, dropped);
        }
    }
}

#endif /* DENDRITE_NOISE_H */
