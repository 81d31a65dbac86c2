/*
 * optimizers.h - the per-element update rules of the optimizers, as Keras defines them (see the Javadoc of
 * Backend.sgdUpdate, adamUpdate, rmspropUpdate and adagradUpdate). Each takes the element's state by value
 * and returns the new state, so the formula lives here only; the element steps at the end load an element's state,
 * call the rule and store it, once for both dialects, so that a kernel only walks its elements.
 *
 * Moving averages and momenta are evaluated as one fused multiply-add or dendrite_dot2, so that where the
 * new term cancels the old state the result is still accurate to its own ulps, as in the reference backend
 * (which works in double).
 */
#ifndef DENDRITE_OPTIMIZERS_H
#define DENDRITE_OPTIMIZERS_H

#include "dialect.h"
#include "sums.h"

/*
 * x, or +0 when |x| is below the smallest normal float (2^-126). Adam's moments and SGD's velocity are stored
 * through it, on every backend: the CPU backend must (x86 cores take microcode assists on subnormals and Java
 * cannot set flush-to-zero; see CpuOptimizerLoops), and one definition keeps the backends' states alike. It
 * changes no parameter of magnitude above about 2^-100 (the flushed amount is below its rounding).
 */
DENDRITE_DEVICE float dendrite_flush_subnormal(float x) {
    return dendrite_fabsf(x) < 1.17549435e-38f ? 0.0f : x;
}

/* ------------------------------------------------------------------ SGD */

typedef struct {
    float param;
    float velocity;
} dendrite_sgd_state;

/* Plain SGD: p -= lr g. */
DENDRITE_DEVICE float dendrite_sgd(float param, float grad, float lr) {
    return dendrite_fmaf(-lr, grad, param);
}

/* SGD with momentum: v = flush(momentum v - lr g); p += v, or with Nesterov p += momentum v - lr g. */
DENDRITE_DEVICE dendrite_sgd_state dendrite_sgd_momentum(dendrite_sgd_state s, float grad, float lr,
                                                         float momentum, int nesterov) {
    s.velocity = dendrite_flush_subnormal(dendrite_dot2(momentum, s.velocity, -lr, grad));
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
 * m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2), evaluated as beta m + (1 - beta) g and flushed; with AMSGrad
 * v_max = max(v_max, v) replaces v below; p -= m / (sqrt(v) + eps) * step_size. The quotient comes first so that
 * a tiny m does not make a subnormal product with a small step size (the same two roundings either way).
 */
DENDRITE_DEVICE dendrite_adam_state dendrite_adam(dendrite_adam_state s, float grad, float step_size,
                                                  float beta1, float beta2, float eps, int amsgrad) {
    s.m = dendrite_flush_subnormal(dendrite_dot2(beta1, s.m, 1.0f - beta1, grad));
    s.v = dendrite_flush_subnormal(dendrite_dot2(beta2, s.v, 1.0f - beta2, grad * grad));
    float denom_v = s.v;
    if (amsgrad) {
        s.v_max = dendrite_fmaxf(s.v_max, s.v);
        denom_v = s.v_max;
    }
    s.param -= s.m / (dendrite_sqrtf(denom_v) + eps) * step_size;
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

/* ------------------------------------------------------------------ Adamax */

typedef struct {
    float param;
    float m;
    float u; /* exponentially weighted infinity norm */
} dendrite_adamax_state;

/*
 * m += (g - m)(1 - beta1); u = max(beta2 u, |g|); p -= step_size m / (u + eps), with
 * step_size = lr / (1 - beta1^t) computed once per thread.
 */
DENDRITE_DEVICE dendrite_adamax_state dendrite_adamax(dendrite_adamax_state s, float grad, float step_size,
                                                      float beta1, float beta2, float eps) {
    s.m = dendrite_dot2(beta1, s.m, 1.0f - beta1, grad);
    float decayed = beta2 * s.u;
    float a = dendrite_fabsf(grad);
    /* not fmax, nor a > decayed alone: a NaN gradient makes u NaN, as Keras's maximum does */
    s.u = (a > decayed || a != a) ? a : decayed;
    s.param -= step_size * s.m / (s.u + eps);
    return s;
}

/* ------------------------------------------------------------------ Nadam */

typedef struct {
    float param;
    float m;
    float v;
} dendrite_nadam_state;

/* Keras's momentum schedule: u_k = beta1 (1 - 0.5 * 0.96^k). */
DENDRITE_DEVICE float dendrite_nadam_u(float beta1, int k) {
    return beta1 * (1.0f - 0.5f * dendrite_expf((float) k * dendrite_logf(0.96f)));
}

/*
 * Keras keeps the product u_1 ... u_t in a variable multiplied once per step; here it is recomputed from t so
 * that a recorded step needs no extra state. Past k = 440 the bracket (1 - 0.5 * 0.96^k) is 1 in float, so the
 * loop stops there and the tail is beta1^(t - 440).
 */
DENDRITE_DEVICE float dendrite_nadam_u_product(float beta1, int t) {
    int head = t < 440 ? t : 440;
    float product = 1.0f;
    float decay = 1.0f;
    for (int k = 1; k <= head; k++) {
        decay *= 0.96f;
        product *= beta1 * (1.0f - 0.5f * decay);
    }
    if (t > head) {
        product *= dendrite_expf((float) (t - head) * dendrite_logf(beta1));
    }
    return product;
}

/* The three per-step coefficients of Nadam's update, computed once per thread. */
typedef struct {
    float c_m; /* u_{t+1} / (1 - u_1 ... u_{t+1}) */
    float c_g; /* (1 - u_t) / (1 - u_1 ... u_t) */
    float c_v; /* 1 / (1 - beta2^t) */
} dendrite_nadam_coefficients;

DENDRITE_DEVICE dendrite_nadam_coefficients dendrite_nadam_coefficients_at(float beta1, float beta2, int t) {
    dendrite_nadam_coefficients c;
    float u_t = dendrite_nadam_u(beta1, t);
    float u_next = dendrite_nadam_u(beta1, t + 1);
    float product = dendrite_nadam_u_product(beta1, t);
    c.c_m = u_next / (1.0f - product * u_next);
    c.c_g = (1.0f - u_t) / (1.0f - product);
    c.c_v = 1.0f / dendrite_one_minus_pow(beta2, t);
    return c;
}

/*
 * m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2);
 * p -= lr (c_m m + c_g g) / (sqrt(c_v v) + eps).
 */
DENDRITE_DEVICE dendrite_nadam_state dendrite_nadam(dendrite_nadam_state s, float grad, float lr,
                                                    dendrite_nadam_coefficients c, float beta1, float beta2,
                                                    float eps) {
    s.m = dendrite_dot2(beta1, s.m, 1.0f - beta1, grad);
    s.v = dendrite_dot2(beta2, s.v, 1.0f - beta2, grad * grad);
    float m_hat = dendrite_dot2(c.c_m, s.m, c.c_g, grad);
    s.param -= lr * m_hat / (dendrite_sqrtf(s.v * c.c_v) + eps);
    return s;
}

/* ------------------------------------------------------------------ Lion */

typedef struct {
    float param;
    float m;
} dendrite_lion_state;

/* p -= lr sign(beta1 m + (1 - beta1) g); m = beta2 m + (1 - beta2) g (sign(0) = 0, NaN stays NaN). */
DENDRITE_DEVICE dendrite_lion_state dendrite_lion(dendrite_lion_state s, float grad, float lr, float beta1,
                                                  float beta2) {
    float c = dendrite_dot2(beta1, s.m, 1.0f - beta1, grad);
    float sign = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : c);
    s.param -= lr * sign;
    s.m = dendrite_dot2(beta2, s.m, 1.0f - beta2, grad);
    return s;
}

/* ------------------------------------------------------------------ Adadelta */

typedef struct {
    float param;
    float acc_grad;  /* moving mean of g^2 */
    float acc_delta; /* moving mean of the squared updates */
} dendrite_adadelta_state;

/*
 * acc_grad = rho acc_grad + (1 - rho) g^2; delta = -sqrt(acc_delta + eps) g / sqrt(acc_grad + eps);
 * acc_delta = rho acc_delta + (1 - rho) delta^2; p += lr delta.
 */
DENDRITE_DEVICE dendrite_adadelta_state dendrite_adadelta(dendrite_adadelta_state s, float grad, float lr,
                                                          float rho, float eps) {
    s.acc_grad = dendrite_dot2(rho, s.acc_grad, 1.0f - rho, grad * grad);
    float delta = -dendrite_sqrtf(s.acc_delta + eps) * grad / dendrite_sqrtf(s.acc_grad + eps);
    s.acc_delta = dendrite_dot2(rho, s.acc_delta, 1.0f - rho, delta * delta);
    s.param = dendrite_fmaf(lr, delta, s.param);
    return s;
}

/* ------------------------------------------------------------------ Ftrl */

typedef struct {
    float param;
    float accumulator;
    float linear;
} dendrite_ftrl_state;

/* x^e for x >= 0 and 0 <= e: Keras's default e = 0.5 as a correctly rounded sqrt, others through exp and log. */
DENDRITE_DEVICE float dendrite_ftrl_pow(float x, float e) {
    if (e == 0.5f) {
        return dendrite_sqrtf(x);
    }
    if (x > 0.0f) {
        return dendrite_expf(e * dendrite_logf(x));
    }
    return e == 0.0f ? 1.0f : 0.0f;
}

/*
 * Keras 3's FTRL-proximal, with e = -learning_rate_power and l2 = l2_regularization_strength + beta / (2 lr):
 * new_acc = acc + g^2; linear += g + 2 l2_shrinkage w - (new_acc^e - acc^e) / lr * w;
 * w = (clip(linear, -l1, l1) - linear) / (new_acc^e / lr + 2 l2); acc = new_acc.
 */
DENDRITE_DEVICE dendrite_ftrl_state dendrite_ftrl(dendrite_ftrl_state s, float grad, float lr, float e, float l1,
                                                  float l2, float l2_shrinkage) {
    float grad_to_use = dendrite_fmaf(2.0f * l2_shrinkage, s.param, grad);
    float new_acc = dendrite_fmaf(grad, grad, s.accumulator);
    float new_pow = dendrite_ftrl_pow(new_acc, e);
    float sigma = (new_pow - dendrite_ftrl_pow(s.accumulator, e)) / lr;
    s.linear += dendrite_fmaf(-sigma, s.param, grad_to_use);
    float quadratic = new_pow / lr + 2.0f * l2;
    float clipped = s.linear > l1 ? l1 : (s.linear < -l1 ? -l1 : s.linear);
    s.param = (clipped - s.linear) / quadratic;
    s.accumulator = new_acc;
    return s;
}

/* ------------------------------------------------------------------ Lamb */

/*
 * Lamb's update direction of one element once m and v are updated: (m c1) / (sqrt(v c2) + eps) with
 * c1 = 1 / (1 - beta1^t) and c2 = 1 / (1 - beta2^t). Both passes of a Lamb kernel call it, so the direction
 * whose norm sets the trust ratio is bit for bit the one applied.
 */
DENDRITE_DEVICE float dendrite_lamb_direction(float m, float v, float c1, float c2, float eps) {
    return m * c1 / (dendrite_sqrtf(v * c2) + eps);
}

/* The trust ratio ||w|| / ||u|| of one variable from the two sums of squares; 1 where either norm is 0. */
DENDRITE_DEVICE float dendrite_lamb_ratio(float w_squares, float u_squares) {
    float w_norm = dendrite_sqrtf(w_squares);
    float u_norm = dendrite_sqrtf(u_squares);
    return w_norm > 0.0f && u_norm > 0.0f ? w_norm / u_norm : 1.0f;
}

/* ------------------------------------------------------------------ Adafactor */

/*
 * Keras 3's Adafactor on ONE variable of rows x cols elements (row-major; a vector is 1 x n). Factored second
 * moments (a row and a column accumulator) where rows >= 2 and cols >= 2, a full accumulator otherwise: with one
 * row or one column the factored v equals the full one (r / mean(r) = 1, or c = mean(r)) up to rounding, and
 * rows + cols would not fit in the variable's n = rows cols places. The variable's range of the accumulator buffer
 * holds r in [0, rows) and c in [rows, rows + cols) when factored (rows + cols <= rows cols), v in [0, n) otherwise.
 */
DENDRITE_DEVICE int dendrite_adafactor_factored(int rows, int cols) {
    return rows > 1 && cols > 1;
}

/* The relative step rho = min(lr, 1 / sqrt(t)) (Keras takes the minimum whether or not relative_step is set). */
DENDRITE_DEVICE float dendrite_adafactor_rho(float lr, int t) {
    float inv = 1.0f / dendrite_sqrtf((float) t);
    return lr < inv ? lr : inv;
}

/* beta2_t = 1 - t^decay, as -expm1(decay log t): exactly 0 at t = 1. */
DENDRITE_DEVICE float dendrite_adafactor_beta2(int t, float decay) {
    return -dendrite_expm1f(decay * dendrite_logf((float) t));
}

/* One second-moment average: beta2_t acc + (1 - beta2_t) mean_sq, mean_sq a mean of g^2 + epsilon_1. */
DENDRITE_DEVICE float dendrite_adafactor_average(float acc, float mean_sq, float beta) {
    return dendrite_dot2(beta, acc, 1.0f - beta, mean_sq);
}

/* The factored second moment of element (i, j): (r_i / mean(r)) c_j, in Keras's order. */
DENDRITE_DEVICE float dendrite_adafactor_factored_v(float r, float r_mean, float c) {
    return r / r_mean * c;
}

/*
 * The factor every direction u = g / sqrt(v) of the variable is multiplied by before it is subtracted:
 * alpha / max(1, RMS(u) / clip) with alpha = max(epsilon_2, RMS(w)) rho, from the sums of squares of the
 * weights (before the step) and of u over the n elements.
 */
DENDRITE_DEVICE float dendrite_adafactor_step(float w_squares, float u_squares, int n, float rho, float eps2,
                                              float clip) {
    float w_rms = dendrite_sqrtf(w_squares / (float) n);
    float alpha = (eps2 > w_rms ? eps2 : w_rms) * rho;
    float ratio = dendrite_sqrtf(u_squares / (float) n) / clip;
    return alpha / (ratio > 1.0f ? ratio : 1.0f);
}

/* ------------------------------------------------------------------ options on gradients and weights */

/* Keras 3's decoupled weight decay, applied before the update: p -= p * wd * lr. */
DENDRITE_DEVICE float dendrite_weight_decay(float param, float wd_lr) {
    return dendrite_fmaf(-param, wd_lr, param);
}

/* clipvalue: g clipped to [-c, c]; a NaN gradient stays NaN (jnp.clip keeps it), which fmin/fmax would not. */
DENDRITE_DEVICE float dendrite_clip_value(float grad, float c) {
    return grad > c ? c : (grad < -c ? -c : grad);
}

/*
 * clipnorm / global_clipnorm: the factor c / max(norm, c) by which every gradient of the clipped group is
 * multiplied, from the group's sum of squares. A zero sum gives 1; a NaN or infinite norm gives NaN or 0
 * (Keras gives NaN in both), and the engine's checks report the non-finite gradient before this matters.
 */
DENDRITE_DEVICE float dendrite_clip_norm_scale(float sum_squares, float c) {
    float norm = dendrite_sqrtf(sum_squares);
    return c / (norm <= c ? c : norm);
}


/* ------------------------------------------------------------------ element steps
 *
 * Element i of each element-wise optimizer: load its state, apply the rule above, store the state back. Both
 * dialects' kernels only walk the elements and call these (CUDA grid-stride, OpenCL a work-item per element or
 * grid-stride), with pointers already at their slice's first element; an optional buffer (Adam's v_max, RMSprop's
 * mom and mg) is only touched when its flag is set.
 */

DENDRITE_DEVICE void dendrite_sgd_momentum_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                                DENDRITE_GLOBAL float *velocity, dendrite_u32 i, float lr,
                                                float momentum, int nesterov) {
    dendrite_sgd_state s;
    s.param = params[i];
    s.velocity = velocity[i];
    s = dendrite_sgd_momentum(s, grads[i], lr, momentum, nesterov);
    params[i] = s.param;
    velocity[i] = s.velocity;
}

DENDRITE_DEVICE void dendrite_adam_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                        DENDRITE_GLOBAL float *m, DENDRITE_GLOBAL float *v,
                                        DENDRITE_GLOBAL float *v_max, dendrite_u32 i, float step_size, float beta1,
                                        float beta2, float eps, int amsgrad) {
    dendrite_adam_state s;
    s.param = params[i];
    s.m = m[i];
    s.v = v[i];
    s.v_max = amsgrad ? v_max[i] : 0.0f;
    s = dendrite_adam(s, grads[i], step_size, beta1, beta2, eps, amsgrad);
    params[i] = s.param;
    m[i] = s.m;
    v[i] = s.v;
    if (amsgrad) {
        v_max[i] = s.v_max;
    }
}

DENDRITE_DEVICE void dendrite_rmsprop_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                           DENDRITE_GLOBAL float *ms, DENDRITE_GLOBAL float *mom,
                                           DENDRITE_GLOBAL float *mg, dendrite_u32 i, float lr, float rho,
                                           float momentum, float eps, int centered, int use_momentum) {
    dendrite_rmsprop_state s;
    s.param = params[i];
    s.ms = ms[i];
    s.mom = use_momentum ? mom[i] : 0.0f;
    s.mg = centered ? mg[i] : 0.0f;
    s = dendrite_rmsprop(s, grads[i], lr, rho, momentum, eps, centered, use_momentum);
    params[i] = s.param;
    ms[i] = s.ms;
    if (use_momentum) {
        mom[i] = s.mom;
    }
    if (centered) {
        mg[i] = s.mg;
    }
}

DENDRITE_DEVICE void dendrite_adagrad_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                           DENDRITE_GLOBAL float *accumulator, dendrite_u32 i, float lr, float eps) {
    dendrite_adagrad_state s;
    s.param = params[i];
    s.accumulator = accumulator[i];
    s = dendrite_adagrad(s, grads[i], lr, eps);
    params[i] = s.param;
    accumulator[i] = s.accumulator;
}

DENDRITE_DEVICE void dendrite_adamax_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                          DENDRITE_GLOBAL float *m, DENDRITE_GLOBAL float *u, dendrite_u32 i,
                                          float step_size, float beta1, float beta2, float eps) {
    dendrite_adamax_state s;
    s.param = params[i];
    s.m = m[i];
    s.u = u[i];
    s = dendrite_adamax(s, grads[i], step_size, beta1, beta2, eps);
    params[i] = s.param;
    m[i] = s.m;
    u[i] = s.u;
}

DENDRITE_DEVICE void dendrite_nadam_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                         DENDRITE_GLOBAL float *m, DENDRITE_GLOBAL float *v, dendrite_u32 i, float lr,
                                         dendrite_nadam_coefficients c, float beta1, float beta2, float eps) {
    dendrite_nadam_state s;
    s.param = params[i];
    s.m = m[i];
    s.v = v[i];
    s = dendrite_nadam(s, grads[i], lr, c, beta1, beta2, eps);
    params[i] = s.param;
    m[i] = s.m;
    v[i] = s.v;
}

DENDRITE_DEVICE void dendrite_lion_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                        DENDRITE_GLOBAL float *m, dendrite_u32 i, float lr, float beta1, float beta2) {
    dendrite_lion_state s;
    s.param = params[i];
    s.m = m[i];
    s = dendrite_lion(s, grads[i], lr, beta1, beta2);
    params[i] = s.param;
    m[i] = s.m;
}

DENDRITE_DEVICE void dendrite_adadelta_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                            DENDRITE_GLOBAL float *acc_grad, DENDRITE_GLOBAL float *acc_delta,
                                            dendrite_u32 i, float lr, float rho, float eps) {
    dendrite_adadelta_state s;
    s.param = params[i];
    s.acc_grad = acc_grad[i];
    s.acc_delta = acc_delta[i];
    s = dendrite_adadelta(s, grads[i], lr, rho, eps);
    params[i] = s.param;
    acc_grad[i] = s.acc_grad;
    acc_delta[i] = s.acc_delta;
}

DENDRITE_DEVICE void dendrite_ftrl_step(DENDRITE_GLOBAL float *params, DENDRITE_GLOBAL const float *grads,
                                        DENDRITE_GLOBAL float *accumulator, DENDRITE_GLOBAL float *linear,
                                        dendrite_u32 i, float lr, float e, float l1, float l2_total,
                                        float l2_shrinkage) {
    dendrite_ftrl_state s;
    s.param = params[i];
    s.accumulator = accumulator[i];
    s.linear = linear[i];
    s = dendrite_ftrl(s, grads[i], lr, e, l1, l2_total, l2_shrinkage);
    params[i] = s.param;
    accumulator[i] = s.accumulator;
    linear[i] = s.linear;
}

#endif /* DENDRITE_OPTIMIZERS_H */
