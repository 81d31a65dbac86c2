/*
 * optimizers.cl - one fused pass of an optimizer over a flat parameter buffer. The learning rate is read from
 * hyper[0] and the step from counters[0] on the device, so a recorded step replays unchanged; the update
 * rules are in ../common/optimizers.h.
 */
#include "../common/optimizers.h"

__kernel void sgd_update(__global float *params, int po, __global const float *grads, int go,
                         __global float *velocity, int vo, int has_velocity, int n, __global const float *hyper,
                         int ho, float momentum, int nesterov) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    float lr = hyper[ho];
    float g = grads[go + i];
    if (!has_velocity) {
        params[po + i] = dendrite_sgd(params[po + i], g, lr);
        return;
    }
    dendrite_sgd_state s;
    s.param = params[po + i];
    s.velocity = velocity[vo + i];
    s = dendrite_sgd_momentum(s, g, lr, momentum, nesterov);
    params[po + i] = s.param;
    velocity[vo + i] = s.velocity;
}

__kernel void adam_update(__global float *params, int po, __global const float *grads, int go, __global float *m,
                          int mo, __global float *v, int vo, __global float *v_max, int xo, int amsgrad, int n,
                          __global const float *hyper, int ho, __global const int *counters, int co, float beta1,
                          float beta2, float eps) {
    /* The step size costs two logs and two expm1s: once per work-item, which strides over the elements (the
     * backend launches a bounded grid), not once per element. */
    float step_size = dendrite_adam_step_size(hyper[ho], beta1, beta2, counters[co] + 1);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        dendrite_adam_state s;
        s.param = params[po + i];
        s.m = m[mo + i];
        s.v = v[vo + i];
        s.v_max = amsgrad ? v_max[xo + i] : 0.0f;
        s = dendrite_adam(s, grads[go + i], step_size, beta1, beta2, eps, amsgrad);
        params[po + i] = s.param;
        m[mo + i] = s.m;
        v[vo + i] = s.v;
        if (amsgrad) {
            v_max[xo + i] = s.v_max;
        }
    }
}

__kernel void rmsprop_update(__global float *params, int po, __global const float *grads, int go, __global float *ms,
                             int so, __global float *mom, int mmo, int use_momentum, __global float *mg, int mgo,
                             int centered, int n, __global const float *hyper, int ho, float rho, float momentum,
                             float eps) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dendrite_rmsprop_state s;
    s.param = params[po + i];
    s.ms = ms[so + i];
    s.mom = use_momentum ? mom[mmo + i] : 0.0f;
    s.mg = centered ? mg[mgo + i] : 0.0f;
    s = dendrite_rmsprop(s, grads[go + i], hyper[ho], rho, momentum, eps, centered, use_momentum);
    params[po + i] = s.param;
    ms[so + i] = s.ms;
    if (use_momentum) {
        mom[mmo + i] = s.mom;
    }
    if (centered) {
        mg[mgo + i] = s.mg;
    }
}

__kernel void adagrad_update(__global float *params, int po, __global const float *grads, int go,
                             __global float *accumulator, int ao, int n, __global const float *hyper, int ho,
                             float eps) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    dendrite_adagrad_state s;
    s.param = params[po + i];
    s.accumulator = accumulator[ao + i];
    s = dendrite_adagrad(s, grads[go + i], hyper[ho], eps);
    params[po + i] = s.param;
    accumulator[ao + i] = s.accumulator;
}
