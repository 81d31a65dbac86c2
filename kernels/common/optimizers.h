/*
 * optimizers.h - the per-element update rules of the optimizers, as Keras defines them (see the Javadoc of
 * Backend.sgdUpdate, adamUpdate, rmspropUpdate and adagradUpdate). Each takes the element's state by value
 * and returns the new state, so a kernel is "load, call, store" and the formula lives here only.
 *
 * Moving averages and momenta are evaluated as one fused multiply-add or dendrite_dot2, so that where the
 * new term cancels the old state the result is still accurate to its own ulps, as in the reference backend
 * (which works in double).
 */
#ifndef DENDRITE_OPTIMIZERS_H
#define DENDRITE_OPTIMIZERS_H

#include "dialect.h"
#include "sums.h"

/* ------------------------------------------------------------------ SGD */

typedef struct {
    float param;
    float velocity;
} dendrite_sgd_state;

/* Plain SGD: p -= lr g. */
DENDRITE_DEVICE float dendrite_sgd(float param, float grad, float lr) {
    return dendrite_fmaf(-lr, grad, param);
}

/* SGD with momentum: v = momentum v - lr g; p += v, or with Nesterov p += momentum v - lr g. */
DENDRITE_DEVICE dendrite_sgd_state dendrite_sgd_momentum(dendrite_sgd_state s, float grad, float lr,
                                                         float momentum, int nesterov) {
    s.velocity = dendrite_dot2(momentum, s.velocity, -lr, grad);
    s.param += nesterov ? dendrite_dot2(momentum, s.velocity, -lr, grad) : s.velocity;
    return s;
}

/* ------------------------------------------------------------------ Adam / AMSGrad */

typedef struct {
    float param;
    float m;
    float v;
    float v_max; /* only read and written with AMSGrad */
} dendrite_adam_state;

/*
 * 1 - beta^t, as -expm1(t log beta): 1 - pow(beta, t) in float cancels badly when beta^t is near 1 (early
 * steps with beta2 = 0.999), expm1 does not. beta = 0 gives log 0 = -inf and the exact answer 1.
 */
DENDRITE_DEVICE float dendrite_one_minus_pow(float beta, int t) {
    return -dendrite_expm1f((float) t * dendrite_logf(beta));
}

/* The step size with both bias corrections folded in: lr sqrt(1 - beta2^t) / (1 - beta1^t). */
DENDRITE_DEVICE float dendrite_adam_step_size(float lr, float beta1, float beta2, int t) {
    return lr * dendrite_sqrtf(dendrite_one_minus_pow(beta2, t)) / dendrite_one_minus_pow(beta1, t);
}

/*
 * m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2), evaluated as beta m + (1 - beta) g; with AMSGrad
 * v_max = max(v_max, v) replaces v below; p -= step_size m / (sqrt(v) + eps).
 */
DENDRITE_DEVICE dendrite_adam_state dendrite_adam(dendrite_adam_state s, float grad, float step_size,
                                                  float beta1, float beta2, float eps, int amsgrad) {
    s.m = dendrite_dot2(beta1, s.m, 1.0f - beta1, grad);
    s.v = dendrite_dot2(beta2, s.v, 1.0f - beta2, grad * grad);
    float denom_v = s.v;
    if (amsgrad) {
        s.v_max = dendrite_fmaxf(s.v_max, s.v);
        denom_v = s.v_max;
    }
    s.param -= step_size * s.m / (dendrite_sqrtf(denom_v) + eps);
    return s;
}

/* ------------------------------------------------------------------ RMSprop */

typedef struct {
    float param;
    float ms;  /* moving mean of g^2 */
    float mom; /* momentum buffer, only with momentum */
    float mg;  /* moving mean of g, only when centered */
} dendrite_rmsprop_state;

/*
 * ms = rho ms + (1 - rho) g^2; centered: mg = rho mg + (1 - rho) g and denom = ms - mg^2, else denom = ms;
 * inc = lr g / sqrt(denom + eps); with momentum mom = momentum mom + inc and p -= mom, else p -= inc.
 */
DENDRITE_DEVICE dendrite_rmsprop_state dendrite_rmsprop(dendrite_rmsprop_state s, float grad, float lr, float rho,
                                                        float momentum, float eps, int centered,
                                                        int use_momentum) {
    s.ms = dendrite_dot2(rho, s.ms, 1.0f - rho, grad * grad);
    float denom = s.ms;
    if (centered) {
        s.mg = dendrite_dot2(rho, s.mg, 1.0f - rho, grad);
        /* ms - mg^2 cancels when the gradient is steady; one fused rounding keeps the product exact. */
        denom = dendrite_fmaf(-s.mg, s.mg, s.ms);
    }
    float inc = lr * grad / dendrite_sqrtf(denom + eps);
    if (use_momentum) {
        s.mom = dendrite_fmaf(momentum, s.mom, inc);
        s.param -= s.mom;
    } else {
        s.param -= inc;
    }
    return s;
}

/* ------------------------------------------------------------------ Adagrad */

typedef struct {
    float param;
    float accumulator;
} dendrite_adagrad_state;

/* acc += g^2; p -= lr g / sqrt(acc + eps). */
DENDRITE_DEVICE dendrite_adagrad_state dendrite_adagrad(dendrite_adagrad_state s, float grad, float lr, float eps) {
    s.accumulator = dendrite_fmaf(grad, grad, s.accumulator);
    s.param -= lr * grad / dendrite_sqrtf(s.accumulator + eps);
    return s;
}

#endif /* DENDRITE_OPTIMIZERS_H */
