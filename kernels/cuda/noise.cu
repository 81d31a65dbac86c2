/*
 * noise.cu - the noise layers' kernels: GaussianNoise, GaussianDropout and AlphaDropout (../common/noise.h).
 *
 * Why: the noise is a pure function of (seed, i, step, stream) through Philox4x32-10, so the backward pass
 * regenerates it instead of storing it and a captured graph draws new noise on every replay (the step is read
 * from counters[0] on the device). Element i takes block i / 4, so each thread computes one block and handles its
 * four elements, as dropout.cu does. out may alias in.
 */
#include "common.cuh"
#include "noise.h"

/* out = in * (1 + mul * z(i)) + add * z(i): GaussianNoise (mul = 0) and GaussianDropout (add = 0). */
DENDRITE_KERNEL void gaussian_noise(const float *in, float *out, int n, float add, float mul, unsigned int seed_lo,
                                    unsigned int seed_hi, int stream, const int *counters) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    unsigned int blocks = ((unsigned int) n + 3u) / 4u;
    for (unsigned int b = DENDRITE_GRID_START; b < blocks; b += DENDRITE_GRID_STRIDE) {
        dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, b, step, (unsigned int) stream);
        dendrite_gaussian_block(in, out, (unsigned int) n, b, r, add, mul);
    }
}

/* out = kept(i) ? a * in + b : dropped, kept(i) = uniform(i) >= rate (the backward pass: b = dropped = 0). */
DENDRITE_KERNEL void alpha_dropout(const float *in, float *out, int n, float rate, float a, float b, float dropped,
                                   unsigned int seed_lo, unsigned int seed_hi, int stream, const int *counters) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    unsigned int blocks = ((unsigned int) n + 3u) / 4u;
    for (unsigned int blk = DENDRITE_GRID_START; blk < blocks; blk += DENDRITE_GRID_STRIDE) {
        dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, blk, step, (unsigned int) stream);
        dendrite_alpha_dropout_block(in, out, (unsigned int) n, blk, r, rate, a, b, dropped);
    }
}
