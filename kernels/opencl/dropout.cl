/*
 * dropout.cl - inverted dropout, forward and backward alike: y[i] = keep(i) ? x[i] / (1 - rate) : 0 with
 * keep(i) = uniform(seed, i, counters[0], stream) >= rate. The mask is a pure function of its coordinates
 * (../common/philox.h), so the backward pass regenerates it instead of storing it. y may alias x.
 */
#include "../common/philox.h"

__kernel void dropout(__global const float *x, int xo, __global float *y, int yo, int n, float rate, uint seed_lo,
                      uint seed_hi, int stream, __global const int *counters, int co) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    uint step = (uint) counters[co];
    float u = dendrite_philox_uniform(seed_lo, seed_hi, (uint) i, step, (uint) stream);
    y[yo + i] = u >= rate ? x[xo + i] / (1.0f - rate) : 0.0f;
}
