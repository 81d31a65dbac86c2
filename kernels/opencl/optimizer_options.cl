/*
 * optimizer_options.cl - Keras 3's options around every optimizer's update rule: the learning-rate schedule (one
 * work-item writes the step's rate from the step counter), gradient accumulation and the weights' moving average.
 * Everything is decided from counters on the device, so a recorded step replays unchanged; the formulas are in
 * ../common/optimizer_options.h.
 */
#include "../common/optimizer_options.h"

__kernel void lr_schedule(__global const float *schedule, int so, int kind, __global const int *counters, int co,
                          __global const float *hyper, int ho, __global float *out, int oo) {
    if (get_global_id(0) == 0) {
        out[oo] = dendrite_schedule_lr(kind, schedule + so, (float) counters[co], hyper[ho]);
    }
}

__kernel void accumulate_gradients(__global float *grads, int go, __global float *acc, int ao, int n,
                                   __global const int *counters, int co, int steps,
                                   __global int *optimizer_counters, int oc) {
    int i = get_global_id(0);
    int update = dendrite_is_update_step(counters[co], steps);
    if (i == 0) {
        optimizer_counters[oc] = counters[co] / steps;
        optimizer_counters[oc + 1] = counters[co + 1];
    }
    if (i < n) {
        grads[go + i] = dendrite_accumulate(grads[go + i], acc + ao + i, update, steps);
    }
}

__kernel void restore_unless_update(__global float *dst, int dso, __global const float *backup, int bo, int n,
                                    __global const int *counters, int co, int steps) {
    int i = get_global_id(0);
    if (i < n && !dendrite_is_update_step(counters[co], steps)) {
        dst[dso + i] = backup[bo + i];
    }
}

__kernel void ema_update(__global float *params, int po, __global float *average, int ao, int n,
                         __global const int *counters, int co, int accumulation_steps, float momentum,
                         int overwrite_frequency) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    int iteration = counters[co] / accumulation_steps;
    float a = dendrite_ema(average[ao + i], params[po + i], momentum, iteration == 0);
    average[ao + i] = a;
    if (dendrite_ema_overwrites(iteration, overwrite_frequency)) {
        params[po + i] = a;
    }
}
