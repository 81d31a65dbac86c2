/*
 * dropout.cu - inverted dropout whose mask is never stored.
 *
 * Why: keep(i) is a pure function of (seed, i, step, stream) through Philox4x32-10 (kernels/common/philox.h,
 * bit-identical to dev.dendrite.backend.Philox), so the backward pass regenerates the forward's mask instead
 * of reading a mask buffer, and every backend draws the same mask. The step is read from counters[0] on the
 * device, so a captured graph draws a fresh mask on every replay.
 *
 * Forward and backward are the same function: out[i] = keep(i) ? in[i] / (1 - rate) : 0 (in-place allowed).
 */
#include "common.cuh"
#include "philox.h"

DENDRITE_KERNEL void dropout(const float *in, float *out, int n, float rate, unsigned int seed_lo,
                             unsigned int seed_hi, int stream, const int *counters) {
    unsigned int step = (unsigned int) counters[0];
    float keep = 1.0f - rate;
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        float u = dendrite_philox_uniform(seed_lo, seed_hi, i, step, (unsigned int) stream);
        /* The same IEEE division as the CPU reference: x / keep, not x * (1 / keep). */
        out[i] = u >= rate ? in[i] / keep : 0.0f;
    }
}
