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

/*
 * Calls element(r, i) for every element i < n of the Philox blocks this thread owns (grid-stride), r being block
 * i / 4 of (seed, step = counters[0], stream): the one walk over the elements both noise kernels share.
 */
template <typename Element>
__device__ __forceinline__ void dendrite_noise_elements(int n, unsigned int seed_lo, unsigned int seed_hi, int stream,
                                                        const int *counters, Element element) {
    unsigned int step = (unsigned int) counters[0];
    unsigned int blocks = ((unsigned int) n + 3u) / 4u;
    for (unsigned int b = DENDRITE_GRID_START; b < blocks; b += DENDRITE_GRID_STRIDE) {
        dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, b, step, (unsigned int) stream);
        for (unsigned int j = 0; j < 4u; j++) {
            unsigned int i = 4u * b + j;
            if (i < (unsigned int) n) {
                element(r, i);
            }
        }
    }
}

/* out = in * (1 + mul * z(i)) + add * z(i): GaussianNoise (mul = 0) and GaussianDropout (add = 0). */
DENDRITE_KERNEL void gaussian_noise(const float *in, float *out, int n, float add, float mul, unsigned int seed_lo,
                                    unsigned int seed_hi, int stream, const int *counters) {
    dendrite_noise_elements(n, seed_lo, seed_hi, stream, counters, [&](const dendrite_philox4 &r, unsigned int i) {
        out[i] = dendrite_gaussian(in[i], dendrite_noise_normal(r, i), add, mul);
    });
}

/* out = kept(i) ? a * in + b : dropped, kept(i) = uniform(i) >= rate (the backward pass: b = dropped = 0). */
DENDRITE_KERNEL void alpha_dropout(const float *in, float *out, int n, float rate, float a, float b, float dropped,
                                   unsigned int seed_lo, unsigned int seed_hi, int stream, const int *counters) {
    dendrite_noise_elements(n, seed_lo, seed_hi, stream, counters, [&](const dendrite_philox4 &r, unsigned int i) {
        int kept = dendrite_philox_to_uniform(dendrite_noise_word(r, i)) >= rate;
        out[i] = dendrite_alpha_dropout(in[i], kept, a, b, dropped);
    });
}
