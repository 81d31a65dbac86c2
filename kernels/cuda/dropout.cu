/*
 * dropout.cu - inverted dropout whose mask is never stored.
 *
 * Why: keep(i) is a pure function of (seed, i, step, stream) through Philox4x32-10 (kernels/common/philox.h,
 * bit-identical to dev.dendrite.backend.Philox), so the backward pass regenerates the forward's mask instead
 * of reading a mask buffer, and every backend draws the same mask. Element i takes word (i & 3) of block i / 4,
 * so each thread computes one block and handles its four elements. The step is read from counters[0] on the
 * device, so a captured graph draws a fresh mask on every replay.
 *
 * Forward and backward are the same function: out[i] = keep(i) ? in[i] / (1 - rate) : 0 (in-place allowed).
 */
#include "common.cuh"
#include "dropout.h"

DENDRITE_KERNEL void dropout(const float *in, float *out, int n, float rate, unsigned int seed_lo,
                             unsigned int seed_hi, int stream, const int *counters) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    unsigned int blocks = ((unsigned int) n + 3u) / 4u;
    for (unsigned int b = DENDRITE_GRID_START; b < blocks; b += DENDRITE_GRID_STRIDE) {
        dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, b, step, (unsigned int) stream);
        for (unsigned int j = 0; j < 4u; j++) {
            unsigned int i = 4u * b + j;
            if (i < (unsigned int) n) {
                out[i] = dendrite_dropout_apply(in[i], dendrite_philox_word(r, j), rate);
            }
        }
    }
}
