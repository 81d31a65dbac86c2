/*
 * optimizers.cl - one fused pass of an optimizer over a flat parameter buffer. The learning rate is read from
 * hyper[0] and the step from counters[0] on the device, so a recorded step replays unchanged; the update
 * rules, and the load-rule-store of one element, are in ../common/optimizers.h.
 */
#include "../common/optimizers.h"
#include "../common/errors.h"
#include "../common/counters.h"

/*
 * A step's last update (Backend.updateThenAdvanceCounters) passes the step counters as `advance`, with has_advance
 * set: the kernel's last work-group advances them (../common/counters.h; the ticket is the word after the error
 * block). Every work-item then reaches the end of the kernel, so these two have no early return.
 */
__kernel void sgd_update(__global float *params, int po, __global const float *grads, int go,
                         __global float *velocity, int vo, int has_velocity, int n, __global const float *hyper,
                         int ho, float momentum, int nesterov, __global int *advance, int ao, int has_advance,
                         __global int *control) {
    int i = get_global_id(0);
    if (i < n) {
        float lr = hyper[ho];
        if (!has_velocity) {
            params[po + i] = dendrite_sgd(params[po + i], grads[go + i], lr);
        } else {
            dendrite_sgd_momentum_step(params + po, grads + go, velocity + vo, (uint) i, lr, momentum, nesterov);
        }
    }
    dendrite_advance_counters_by_last_group(has_advance, advance + ao, control + DENDRITE_ERROR_WORDS);
}

__kernel void adam_update(__global float *params, int po, __global const float *grads, int go, __global float *m,
                          int mo, __global float *v, int vo, __global float *v_max, int xo, int amsgrad, int n,
                          __global const float *hyper, int ho, __global const int *counters, int co, float beta1,
                          float beta2, float eps, __global int *advance, int ao, int has_advance,
                          __global int *control) {
    /* The step size costs two logs and two expm1s: once per work-item, which strides over the elements (the
     * backend launches a bounded grid), not once per element. */
    float step_size = dendrite_adam_step_size(hyper[ho], beta1, beta2, counters[co] + 1);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        dendrite_adam_step(params + po, grads + go, m + mo, v + vo, v_max + xo, (uint) i, step_size, beta1, beta2, eps,
                           amsgrad);
    }
    dendrite_advance_counters_by_last_group(has_advance, advance + ao, control + DENDRITE_ERROR_WORDS);
}

__kernel void rmsprop_update(__global float *params, int po, __global const float *grads, int go, __global float *ms,
                             int so, __global float *mom, int mmo, int use_momentum, __global float *mg, int mgo,
                             int centered, int n, __global const float *hyper, int ho, float rho, float momentum,
                             float eps) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dendrite_rmsprop_step(params + po, grads + go, ms + so, mom + mmo, mg + mgo, (uint) i, hyper[ho], rho, momentum,
                          eps, centered, use_momentum);
}

__kernel void adagrad_update(__global float *params, int po, __global const float *grads, int go,
                             __global float *accumulator, int ao, int n, __global const float *hyper, int ho,
                             float eps) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dendrite_adagrad_step(params + po, grads + go, accumulator + ao, (uint) i, hyper[ho], eps);
}

__kernel void adamax_update(__global float *params, int po, __global const float *grads, int go,
                            __global float *m, int mo, __global float *u, int uo, int n, __global const float *hyper,
                            int ho, __global const int *counters, int co, float beta1, float beta2, float eps) {
    float step_size = hyper[ho] / dendrite_one_minus_pow(beta1, counters[co] + 1);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        dendrite_adamax_step(params + po, grads + go, m + mo, u + uo, (uint) i, step_size, beta1, beta2, eps);
    }
}

/* The momentum schedule's coefficients cost a loop of up to 440 steps: once per work-item of a bounded grid. */
__kernel void nadam_update(__global float *params, int po, __global const float *grads, int go, __global float *m,
                           int mo, __global float *v, int vo, int n, __global const float *hyper, int ho,
                           __global const int *counters, int co, float beta1, float beta2, float eps) {
    float lr = hyper[ho];
    dendrite_nadam_coefficients c = dendrite_nadam_coefficients_at(beta1, beta2, counters[co] + 1);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        dendrite_nadam_step(params + po, grads + go, m + mo, v + vo, (uint) i, lr, c, beta1, beta2, eps);
    }
}

__kernel void lion_update(__global float *params, int po, __global const float *grads, int go, __global float *m,
                          int mo, int n, __global const float *hyper, int ho, float beta1, float beta2) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dendrite_lion_step(params + po, grads + go, m + mo, (uint) i, hyper[ho], beta1, beta2);
}

__kernel void adadelta_update(__global float *params, int po, __global const float *grads, int go,
                              __global float *acc_grad, int ao, __global float *acc_delta, int ado, int n,
                              __global const float *hyper, int ho, float rho, float eps) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dendrite_adadelta_step(params + po, grads + go, acc_grad + ao, acc_delta + ado, (uint) i, hyper[ho], rho, eps);
}

__kernel void weight_decay(__global float *params, int po, int n, __global const float *hyper, int ho, float wd) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    params[po + i] = dendrite_weight_decay(params[po + i], wd * hyper[ho]);
}

__kernel void clip_by_value(__global float *grads, int go, int n, float c) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    grads[go + i] = dendrite_clip_value(grads[go + i], c);
}

/*
 * clipnorm / global_clipnorm: ONE work-group (a power of two in size) sums the squares and scales, so that
 * it is one recordable launch with no scratch buffer; see clip_by_norm in ../cuda/optimizers.cu.
 */
__kernel void clip_by_norm(__global float *grads, int go, int n, float c, __local float *partial) {
    int lid = get_local_id(0);
    int size = get_local_size(0);
    dendrite_kahan sq = dendrite_kahan_zero();
    for (int i = lid; i < n; i += size) {
        float g = grads[go + i];
        sq = dendrite_kahan_add(sq, g * g);
    }
    partial[lid] = sq.sum;
    for (int s = size >> 1; s > 0; s >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < s) {
            partial[lid] += partial[lid + s];
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float f = dendrite_clip_norm_scale(partial[0], c);
    for (int i = lid; i < n; i += size) {
        grads[go + i] *= f;
    }
}

__kernel void ftrl_update(__global float *params, int po, __global const float *grads, int go,
                          __global float *accumulator, int ao, __global float *linear, int lo, int n,
                          __global const float *hyper, int ho, float lr_power, float l1, float l2, float l2_shrinkage,
                          float beta) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    float lr = hyper[ho];
    dendrite_ftrl_step(params + po, grads + go, accumulator + ao, linear + lo, (uint) i, lr, -lr_power, l1,
                       l2 + beta / (2.0f * lr), l2_shrinkage);
}

/* Keras Lamb on ONE variable, in ONE work-group; see lamb_update in ../cuda/optimizers.cu. */
__kernel void lamb_update(__global float *params, int po, __global const float *grads, int go, __global float *m,
                          int mo, __global float *v, int vo, int n, __global const float *hyper, int ho,
                          __global const int *counters, int co, float beta1, float beta2, float eps,
                          __local float *lw, __local float *lu) {
    int lid = get_local_id(0);
    int size = get_local_size(0);
    int t = counters[co] + 1;
    float c1 = 1.0f / dendrite_one_minus_pow(beta1, t);
    float c2 = 1.0f / dendrite_one_minus_pow(beta2, t);
    dendrite_kahan w_sq = dendrite_kahan_zero();
    dendrite_kahan u_sq = dendrite_kahan_zero();
    for (int i = lid; i < n; i += size) {
        float g = grads[go + i];
        float mi = dendrite_dot2(beta1, m[mo + i], 1.0f - beta1, g);
        float vi = dendrite_dot2(beta2, v[vo + i], 1.0f - beta2, g * g);
        m[mo + i] = mi;
        v[vo + i] = vi;
        float w = params[po + i];
        float u = dendrite_lamb_direction(mi, vi, c1, c2, eps);
        w_sq = dendrite_kahan_add(w_sq, w * w);
        u_sq = dendrite_kahan_add(u_sq, u * u);
    }
    lw[lid] = w_sq.sum;
    lu[lid] = u_sq.sum;
    dendrite_local_sum2(lw, lu, lid, size);
    float step = dendrite_lamb_ratio(lw[0], lu[0]) * hyper[ho];
    for (int i = lid; i < n; i += size) {
        params[po + i] -= step * dendrite_lamb_direction(m[mo + i], v[vo + i], c1, c2, eps);
    }
}

/*
 * Keras Adafactor on ONE variable of rows x cols elements, in ONE work-group (a power of two in size); see
 * adafactor_update in ../cuda/optimizers.cu and the accumulator's layout in ../common/optimizers.h.
 */
__kernel void adafactor_update(__global float *params, int po, __global const float *grads, int go,
                               __global float *acc, int ao, int rows, int cols, __global const float *hyper, int ho,
                               __global const int *counters, int co, float decay, float eps1, float eps2, float clip,
                               __local float *la, __local float *lb) {
    int lid = get_local_id(0);
    int size = get_local_size(0);
    int t = counters[co] + 1;
    int n = rows * cols;
    float beta = dendrite_adafactor_beta2(t, decay);
    float rho = dendrite_adafactor_rho(hyper[ho], t);
    int factored = dendrite_adafactor_factored(rows, cols);
    dendrite_kahan w_sq = dendrite_kahan_zero();
    dendrite_kahan u_sq = dendrite_kahan_zero();
    float r_mean = 0.0f;
    if (factored) {
        dendrite_kahan r_sum = dendrite_kahan_zero();
        for (int i = lid; i < rows; i += size) {
            dendrite_kahan row = dendrite_kahan_zero();
            for (int j = 0; j < cols; j++) {
                float g = grads[go + i * cols + j];
                float w = params[po + i * cols + j];
                row = dendrite_kahan_add(row, g * g + eps1);
                w_sq = dendrite_kahan_add(w_sq, w * w);
            }
            float r = dendrite_adafactor_average(acc[ao + i], row.sum / (float) cols, beta);
            acc[ao + i] = r;
            r_sum = dendrite_kahan_add(r_sum, r);
        }
        for (int j = lid; j < cols; j += size) {
            dendrite_kahan col = dendrite_kahan_zero();
            for (int i = 0; i < rows; i++) {
                float g = grads[go + i * cols + j];
                col = dendrite_kahan_add(col, g * g + eps1);
            }
            acc[ao + rows + j] = dendrite_adafactor_average(acc[ao + rows + j], col.sum / (float) rows, beta);
        }
        la[lid] = r_sum.sum;
        for (int s = size >> 1; s > 0; s >>= 1) {
            barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
            if (lid < s) {
                la[lid] += la[lid + s];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE); /* also publishes r and c */
        r_mean = la[0] / (float) rows;
        for (int k = lid; k < n; k += size) {
            float v = dendrite_adafactor_factored_v(acc[ao + k / cols], r_mean, acc[ao + rows + k % cols]);
            float u = grads[go + k] / dendrite_sqrtf(v);
            u_sq = dendrite_kahan_add(u_sq, u * u);
        }
        barrier(CLK_LOCAL_MEM_FENCE); /* la[0] read by all before the next tree reuses la */
    } else {
        for (int k = lid; k < n; k += size) {
            float g = grads[go + k];
            float w = params[po + k];
            float v = dendrite_adafactor_average(acc[ao + k], g * g + eps1, beta);
            acc[ao + k] = v;
            float u = g / dendrite_sqrtf(v);
            w_sq = dendrite_kahan_add(w_sq, w * w);
            u_sq = dendrite_kahan_add(u_sq, u * u);
        }
    }
    la[lid] = w_sq.sum;
    lb[lid] = u_sq.sum;
    dendrite_local_sum2(la, lb, lid, size);
    float step = dendrite_adafactor_step(la[0], lb[0], n, rho, eps2, clip);
    for (int k = lid; k < n; k += size) {
        float v = factored ? dendrite_adafactor_factored_v(acc[ao + k / cols], r_mean, acc[ao + rows + k % cols])
                           : acc[ao + k];
        params[po + k] -= step * (grads[go + k] / dendrite_sqrtf(v));
    }
}
