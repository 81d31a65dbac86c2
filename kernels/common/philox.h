/*
 * philox.h - Philox4x32-10 (Salmon et al., SC 2011), the counter-based generator behind dropout masks
 * and the epoch shuffle. It must agree bit for bit with dev.dendrite.backend.Philox: key (low 32 bits of seed,
 * high 32 bits of seed); the shuffle takes the first word of the block for counter (index, epoch, stream, 0), dropout
 * word (i & 3) of the block for counter (i >> 2, step, stream, 0).
 */
#ifndef DENDRITE_PHILOX_H
#define DENDRITE_PHILOX_H

#include "dialect.h"

#define DENDRITE_PHILOX_M0 0xD2511F53u
#define DENDRITE_PHILOX_M1 0xCD9E8D57u
#define DENDRITE_PHILOX_W0 0x9E3779B9u
#define DENDRITE_PHILOX_W1 0xBB67AE85u

/* The four words of a Philox4x32-10 block, and the block for counter (c0, step, stream, 0) under key (key0, key1). */
typedef struct {
    dendrite_u32 w0, w1, w2, w3;
} dendrite_philox4;

DENDRITE_DEVICE dendrite_philox4 dendrite_philox_block(dendrite_u32 key0, dendrite_u32 key1, dendrite_u32 c0,
                                                       dendrite_u32 step, dendrite_u32 stream) {
    dendrite_u32 c1 = step;
    dendrite_u32 c2 = stream;
    dendrite_u32 c3 = 0u;
    dendrite_u32 k0 = key0;
    dendrite_u32 k1 = key1;
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += DENDRITE_PHILOX_W0;
            k1 += DENDRITE_PHILOX_W1;
        }
        dendrite_u32 hi0 = dendrite_mulhi_u32(DENDRITE_PHILOX_M0, c0);
        dendrite_u32 lo0 = DENDRITE_PHILOX_M0 * c0;
        dendrite_u32 hi1 = dendrite_mulhi_u32(DENDRITE_PHILOX_M1, c2);
        dendrite_u32 lo1 = DENDRITE_PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    dendrite_philox4 b;
    b.w0 = c0;
    b.w1 = c1;
    b.w2 = c2;
    b.w3 = c3;
    return b;
}

/* The shuffle's 32 random bits for row index: the first word of the block for counter (index, epoch, stream, 0). */
DENDRITE_DEVICE dendrite_u32 dendrite_philox_bits(dendrite_u32 key0, dendrite_u32 key1, dendrite_u32 index,
                                                  dendrite_u32 step, dendrite_u32 stream) {
    return dendrite_philox_block(key0, key1, index, step, stream).w0;
}

/* 24 random bits as a uniform float in [0, 1): (bits >> 8) * 2^-24, exact in float. */
DENDRITE_DEVICE float dendrite_philox_to_uniform(dendrite_u32 bits) {
    return (float) (bits >> 8) * 5.9604644775390625e-08f;
}

#endif /* DENDRITE_PHILOX_H */
