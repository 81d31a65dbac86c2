/*
 * losses.h - the numerically stable pieces of the loss ops: binary cross-entropy on logits, and the arg-max,
 * log-sum-exp, probabilities and cross-entropy terms of a row that softmax cross-entropy is built from.
 *
 * The row helpers walk i = first, first + step, ... < n: first = 0, step = 1 is a whole row (OpenCL's work-item
 * per row, losses.cl); a CUDA warp gives lane l first = l, step = 32 and combines the lanes' results with
 * dendrite_warp_argmax / dendrite_warp_sum (losses.cu). Either way each element sees the same operations.
 */
#ifndef DENDRITE_LOSSES_H
#define DENDRITE_LOSSES_H

#include "dialect.h"
#include "sums.h"

/* "No index": the arg-max of an empty range, which loses every comparison in dendrite_warp_argmax. */
#define DENDRITE_NO_INDEX 0x7fffffff

/*
 * Binary cross-entropy of sigmoid(z) against target t, -t log p - (1 - t) log(1 - p), rewritten as
 * max(z, 0) - z t + log(1 + exp(-|z|)): no exp of a positive number, no log of 0.
 */
DENDRITE_DEVICE float dendrite_bce_with_logits(float z, float t) {
    return dendrite_fmaxf(z, 0.0f) - z * t + dendrite_log1pf(dendrite_expf(-dendrite_fabsf(z)));
}

/*
 * Index of the largest x[i] over i = first, first + step, ... < n, the first one on ties, and its value in
 * *max; DENDRITE_NO_INDEX and -INFINITY when the range is empty.
 */
DENDRITE_DEVICE int dendrite_row_argmax_from(const DENDRITE_GLOBAL float *x, int n, int first, int step, float *max) {
    int best = DENDRITE_NO_INDEX;
    float m = -INFINITY;
    for (int i = first; i < n; i += step) {
        if (x[i] > m || best == DENDRITE_NO_INDEX) {
            m = x[i];
            best = i;
        }
    }
    *max = m;
    return best;
}

/* Index of the largest of x[0..n), the first one on ties (n >= 1). */
DENDRITE_DEVICE int dendrite_row_argmax(const DENDRITE_GLOBAL float *x, int n) {
    float max;
    return dendrite_row_argmax_from(x, n, 0, 1, &max);
}

/*
 * Sum of exp(z[i] - max) over the walk, max being the row's maximum: every term is in (0, 1] and one is 1, so
 * the row's sum is in [1, n] and log(sum) never overflows; log p_i = (z_i - max) - log(sum).
 */
DENDRITE_DEVICE float dendrite_row_sum_exp_from(const DENDRITE_GLOBAL float *z, int n, float max, int first,
                                                int step) {
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int i = first; i < n; i += step) {
        sum = dendrite_kahan_add(sum, dendrite_expf(z[i] - max));
    }
    return sum.sum;
}

/* Softmax probability of a logit: exp(z - max) / sum, with inv_sum = 1 / sum. */
DENDRITE_DEVICE float dendrite_softmax_p(float z, float max, float inv_sum) {
    return dendrite_expf(z - max) * inv_sum;
}

/* One dense target's cross-entropy term -t log p, log p = (z - max) - log_sum; callers skip t == 0 (p may be 0). */
DENDRITE_DEVICE float dendrite_xent_term(float t, float z, float max, float log_sum) {
    return -t * ((z - max) - log_sum);
}

/*
 * A row's weight in a loss (Keras's class_weight and sample_weight): its class k's weight in the table cw (null: 1)
 * times its own weight rw (1 where there are none). It scales the row's loss and gradient, not its accuracy.
 */
DENDRITE_DEVICE float dendrite_loss_weight(const DENDRITE_GLOBAL float *cw, int k, float rw) {
    return (cw == 0 ? 1.0f : cw[k]) * rw;
}

/* The regression losses (Backend.regressionLoss's kinds, RegressionKind's codes). */
#define DENDRITE_LOSS_MSE 0
#define DENDRITE_LOSS_MAE 1
#define DENDRITE_LOSS_HUBER 2
#define DENDRITE_LOSS_LOG_COSH 3

/*
 * log(cosh d), without Keras's cancellation: Keras's |d| + log(1 + e^{-2|d|}) - log 2 subtracts log 2 from a sum
 * near it for small d, where the loss is d^2 / 2. Below |d| = 10, cosh d - 1 = m^2 / (2 (1 + m)) with m = e^|d| - 1
 * (positive terms only) and log1p of it; above, Keras's form, whose terms no longer cancel (and m^2 would overflow
 * from |d| = 44).
 */
DENDRITE_DEVICE float dendrite_log_cosh(float d) {
    float a = dendrite_fabsf(d);
    if (a < 10.0f) {
        float m = dendrite_expm1f(a);
        return dendrite_log1pf(m * m / (2.0f * (1.0f + m)));
    }
    return a + dendrite_log1pf(dendrite_expf(-2.0f * a)) - 0.6931471805599453f;
}

/*
 * One output's term of a regression loss of error d = pred - target, Keras's formulas, and in *g its derivative in
 * d: squared error d^2 (2d); absolute error |d| (sign d, 0 at 0 as JAX's); Huber 0.5 d^2 within delta of 0 (d),
 * else delta |d| - 0.5 delta^2 (delta sign d); log-cosh log(cosh d) (tanh d).
 */
DENDRITE_DEVICE float dendrite_regression_term(int kind, float d, float delta, float *g) {
    if (kind == DENDRITE_LOSS_LOG_COSH) {
        *g = dendrite_tanhf(d);
        return dendrite_log_cosh(d);
    }
    if (kind == DENDRITE_LOSS_MAE) {
        *g = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : d);
        return dendrite_fabsf(d);
    }
    if (kind == DENDRITE_LOSS_HUBER) {
        float a = dendrite_fabsf(d);
        if (a <= delta) {
            *g = d;
            return 0.5f * d * d;
        }
        *g = d > 0.0f ? delta : -delta;
        return delta * a - 0.5f * delta * delta;
    }
    *g = 2.0f * d;
    return d * d;
}

#endif /* DENDRITE_LOSSES_H */
