/*
 * dropout.h - inverted dropout's element, written once for dropout.cu and dropout.cl and for the kernels that
 * drop their own output (batchnorm's, when a BatchNormalization and the Dropout after it run as one):
 * out = keep(i) ? in / (1 - rate) : 0, keep(i) = uniform(word i & 3 of the Philox block for counter
 * (i / 4, step, stream, 0)) >= rate, exactly as dev.dendrite.backend.Philox and the CPU reference draw it.
 */
#ifndef DENDRITE_DROPOUT_H
#define DENDRITE_DROPOUT_H

#include "dialect.h"
#include "philox.h"

/* One element given its Philox word. The same IEEE division as the CPU reference: x / (1 - rate), not x * (1 / ...). */
DENDRITE_DEVICE float dendrite_dropout_apply(float x, dendrite_u32 word, float rate) {
    return dendrite_philox_to_uniform(word) >= rate ? x / (1.0f - rate) : 0.0f;
}

/* Word j (0..3) of a block. */
DENDRITE_DEVICE dendrite_u32 dendrite_philox_word(dendrite_philox4 r, dendrite_u32 j) {
    return j == 0u ? r.w0 : j == 1u ? r.w1 : j == 2u ? r.w2 : r.w3;
}

/*
 * Element i on its own, for kernels that visit elements in another order than four by four (a column at a time):
 * it draws i's whole block, four times the generator's work, which is small beside a batch-norm column's sums.
 */
DENDRITE_DEVICE float dendrite_dropout_element(float x, dendrite_u32 i, float rate, dendrite_u32 key0,
                                               dendrite_u32 key1, dendrite_u32 step, dendrite_u32 stream) {
    dendrite_philox4 r = dendrite_philox_block(key0, key1, i >> 2, step, stream);
    return dendrite_dropout_apply(x, dendrite_philox_word(r, i & 3u), rate);
}

#endif /* DENDRITE_DROPOUT_H */
