/*
 * losses.h - the numerically stable pieces of the loss ops: softplus, binary cross-entropy on logits,
 * and the arg-max / log-sum-exp of a row that softmax cross-entropy is built from.
 */
#ifndef DENDRITE_LOSSES_H
#define DENDRITE_LOSSES_H

#include "dialect.h"
#include "sums.h"

/* log(1 + exp(x)) without overflow for large x and without losing small results for very negative x. */
DENDRITE_DEVICE float dendrite_softplus(float x) {
    return dendrite_fmaxf(x, 0.0f) + dendrite_log1pf(dendrite_expf(-dendrite_fabsf(x)));
}

/*
 * Binary cross-entropy of sigmoid(z) against target t, -t log p - (1 - t) log(1 - p), rewritten as
 * max(z, 0) - z t + log(1 + exp(-|z|)): no exp of a positive number, no log of 0.
 */
DENDRITE_DEVICE float dendrite_bce_with_logits(float z, float t) {
    return dendrite_fmaxf(z, 0.0f) - z * t + dendrite_log1pf(dendrite_expf(-dendrite_fabsf(z)));
}

/* Index of the largest of x[0..n), the first one on ties (n >= 1). */
DENDRITE_DEVICE int dendrite_row_argmax(const DENDRITE_GLOBAL float *x, int n) {
    int best = 0;
    float max = x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] > max) {
            max = x[i];
            best = i;
        }
    }
    return best;
}

/*
 * sum over i of exp(z[i] - max), with max = the row's maximum: every term is in (0, 1] and one is 1, so
 * the sum is in [1, n] and log(sum) never overflows; log p_i = (z_i - max) - log(sum).
 */
DENDRITE_DEVICE float dendrite_row_sum_exp(const DENDRITE_GLOBAL float *z, int n, float max) {
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int i = 0; i < n; i++) {
        sum = dendrite_kahan_add(sum, dendrite_expf(z[i] - max));
    }
    return sum.sum;
}

#endif /* DENDRITE_LOSSES_H */
