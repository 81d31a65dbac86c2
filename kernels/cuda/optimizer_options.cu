/*
 * optimizer_options.cu - Keras 3's options around every optimizer's update rule, on the device: the learning-rate
 * schedule (a one-thread kernel that writes the step's rate from the step counter), gradient accumulation and the
 * weights' moving average; the twin of ../opencl/optimizer_options.cl, with the formulas in
 * ../common/optimizer_options.h.
 *
 * Why: the step counter lives on the device, so a recorded training step (a CUDA graph) replays with the right
 * rate, accumulates or applies, and averages, without a read-back or a host decision per step.
 */
#include "common.cuh"
#include "optimizer_options.h"

/* out[0] = the rate of schedule `kind` (parameters in schedule) at step counters[0]; base = hyper[0]. */
DENDRITE_KERNEL void lr_schedule(const float *schedule, int kind, const int *counters, const float *hyper,
                                 float *out) {
    dendrite_pdl_begin();
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        out[0] = dendrite_schedule_lr(kind, schedule, (float) counters[0], hyper[0]);
    }
}

/*
 * Accumulates grads into acc (or, on every steps-th step, replaces them by the mean of the accumulated ones), and
 * writes the optimizer's counters: its iteration counters[0] / steps, and the batch counter unchanged.
 */
DENDRITE_KERNEL void accumulate_gradients(float *grads, float *acc, int n, const int *counters, int steps,
                                          int *optimizer_counters) {
    dendrite_pdl_begin();
    int update = dendrite_is_update_step(counters[0], steps);
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        optimizer_counters[0] = counters[0] / steps;
        optimizer_counters[1] = counters[1];
    }
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        grads[i] = dendrite_accumulate(grads[i], acc + i, update, steps);
    }
}

/* dst = backup, except on the steps that apply an accumulated update. */
DENDRITE_KERNEL void restore_unless_update(float *dst, const float *backup, int n, const int *counters, int steps) {
    dendrite_pdl_begin();
    if (dendrite_is_update_step(counters[0], steps)) {
        return;
    }
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dst[i] = backup[i];
    }
}

/* Moves average towards params; every overwrite_frequency optimizer iterations params = average. */
DENDRITE_KERNEL void ema_update(float *params, float *average, int n, const int *counters, int accumulation_steps,
                                float momentum, int overwrite_frequency) {
    dendrite_pdl_begin();
    int iteration = counters[0] / accumulation_steps;
    int overwrite = dendrite_ema_overwrites(iteration, overwrite_frequency);
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        float a = dendrite_ema(average[i], params[i], momentum, iteration == 0);
        average[i] = a;
        if (overwrite) {
            params[i] = a;
        }
    }
}
