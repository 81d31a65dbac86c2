/*
 * noise.cl - the noise layers' kernels: GaussianNoise, GaussianDropout and AlphaDropout (../common/noise.h).
 * The noise is a pure function of (seed, i, counters[0], stream), so the backward pass regenerates it and a
 * recorded step draws new noise on every replay. One work-item per Philox block of four elements; y may alias x.
 */
#include "../common/noise.h"

/* y = x * (1 + mul * z(i)) + add * z(i): GaussianNoise (mul = 0) and GaussianDropout (add = 0). */
__kernel void gaussian_noise(__global const float *x, int xo, __global float *y, int yo, int n, float add, float mul,
                             uint seed_lo, uint seed_hi, int stream, __global const int *counters, int co) {
    int b = get_global_id(0);
    if (b >= (n + 3) / 4) {
        return;
    }
    dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, (uint) b, (uint) counters[co], (uint) stream);
    dendrite_gaussian_block(x + xo, y + yo, (uint) n, (uint) b, r, add, mul);
}

/* y = kept(i) ? a * x + b : dropped, kept(i) = uniform(i) >= rate (the backward pass: b = dropped = 0). */
__kernel void alpha_dropout(__global const float *x, int xo, __global float *y, int yo, int n, float rate, float a,
                            float b, float dropped, uint seed_lo, uint seed_hi, int stream,
                            __global const int *counters, int co) {
    int blk = get_global_id(0);
    if (blk >= (n + 3) / 4) {
        return;
    }
    dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, (uint) blk, (uint) counters[co], (uint) stream);
    dendrite_alpha_dropout_block(x + xo, y + yo, (uint) n, (uint) blk, r, rate, a, b, dropped);
}
