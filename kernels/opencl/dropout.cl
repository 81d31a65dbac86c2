/*
 * dropout.cl - inverted dropout, forward and backward alike: y[i] = keep(i) ? x[i] / (1 - rate) : 0 with
 * keep(i) = uniform(seed, i, counters[0], stream) >= rate. The mask is a pure function of its coordinates
 * (../common/philox.h), so the backward pass regenerates it instead of storing it. Element i takes word (i & 3) of
 * Philox block i / 4: one work-item per block, four elements each. y may alias x.
 */
#include "../common/dropout.h"

__kernel void dropout(__global const float *x, int xo, __global float *y, int yo, int n, float rate, uint seed_lo,
                      uint seed_hi, int stream, __global const int *counters, int co) {
    int b = get_global_id(0);
    if (b >= (n + 3) / 4) {
        return;
    }
    uint step = (uint) counters[co];
    dendrite_philox4 r = dendrite_philox_block(seed_lo, seed_hi, (uint) b, step, (uint) stream);
    for (int j = 0; j < 4; j++) {
        int i = 4 * b + j;
        if (i < n) {
            y[yo + i] = dendrite_dropout_apply(x[xo + i], dendrite_philox_word(r, (uint) j), rate);
        }
    }
}
