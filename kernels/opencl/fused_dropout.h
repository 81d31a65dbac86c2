/*
 * fused_dropout.h - the Dropout layer after a kernel's own layer, run inside that kernel (a batch norm's, a dense
 * layer's bias and activation), so that the dropout costs no launch of its own. Such a kernel takes
 * DENDRITE_DROP_ARGS last: whether there is a dropout (has_drop), its rate, seed, Philox stream and the counters
 * holding the step (drop_counters[dco]); DENDRITE_DROP(v, i) is element i of the batch through it.
 */
#ifndef DENDRITE_OPENCL_FUSED_DROPOUT_H
#define DENDRITE_OPENCL_FUSED_DROPOUT_H

#include "../common/dropout.h"

DENDRITE_DEVICE float dendrite_fused_drop(float v, int i, int has_drop, float rate, uint seed_lo, uint seed_hi,
                                          int stream, __global const int *counters, int co) {
    return has_drop ? dendrite_dropout_element(v, (uint) i, rate, seed_lo, seed_hi, (uint) counters[co], (uint) stream)
                    : v;
}

#define DENDRITE_DROP_ARGS float drop_rate, uint seed_lo, uint seed_hi, int stream, \
                           __global const int *drop_counters, int dco, int has_drop
#define DENDRITE_DROP(v, i) \
    dendrite_fused_drop((v), (i), has_drop, drop_rate, seed_lo, seed_hi, stream, drop_counters, dco)

#endif /* DENDRITE_OPENCL_FUSED_DROPOUT_H */
