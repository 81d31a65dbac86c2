/*
 * optimizer_options.h - what Keras 3 lets every optimizer do around its update rule, computed on the device from
 * the step counter so that a recorded training step replays it: the learning-rate schedules of
 * keras.optimizers.schedules (and Keras 2's legacy `decay`), gradient accumulation and the exponential moving
 * average of the weights (base_optimizer.py). The formulas are Keras's, in float as Keras computes them; the Java
 * twin is dev.dendrite.backend.ScheduleMath (the CPU backend and the host's reading of the rate).
 */
#ifndef DENDRITE_OPTIMIZER_OPTIONS_H
#define DENDRITE_OPTIMIZER_OPTIONS_H

#include "dialect.h"
#include "sums.h"

/* The schedule kinds (KernelCodes / ScheduleMath in Java use the same numbers) and their parameters p[]. */
#define DENDRITE_SCHEDULE_EXPONENTIAL 1  /* initial, decay_steps, decay_rate, staircase */
#define DENDRITE_SCHEDULE_INVERSE_TIME 2 /* initial, decay_steps, decay_rate, staircase */
#define DENDRITE_SCHEDULE_PIECEWISE 3    /* k, boundaries[k], values[k + 1] */
#define DENDRITE_SCHEDULE_POLYNOMIAL 4   /* initial, decay_steps, end, power, cycle */
#define DENDRITE_SCHEDULE_COSINE 5       /* initial, decay_steps, alpha, has_warmup, warmup_target, warmup_steps */
#define DENDRITE_SCHEDULE_RESTARTS 6     /* initial, first_decay_steps, t_mul, m_mul, alpha */
#define DENDRITE_SCHEDULE_LEGACY_DECAY 7 /* decay: Keras 2's base / (1 + decay * step), base the settable rate */

#define DENDRITE_PI_F 3.14159265358979323846f

/* CosineDecay's decay part: from * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha). */
DENDRITE_DEVICE float dendrite_cosine_decay(float step, float decay_steps, float from, float alpha) {
    float cosine = 0.5f * (1.0f + dendrite_cosf(DENDRITE_PI_F * (step / decay_steps)));
    return from * ((1.0f - alpha) * cosine + alpha);
}

/* The learning rate at `step` (Keras's optimizer._iterations) of schedule `kind` with parameters p. */
DENDRITE_DEVICE float dendrite_schedule_lr(int kind, const DENDRITE_GLOBAL float *p, float step, float base) {
    if (kind == DENDRITE_SCHEDULE_EXPONENTIAL || kind == DENDRITE_SCHEDULE_INVERSE_TIME) {
        float q = step / p[1];
        if (p[3] != 0.0f) {
            q = dendrite_floorf(q);
        }
        return kind == DENDRITE_SCHEDULE_EXPONENTIAL ? p[0] * dendrite_powf(p[2], q) : p[0] / (1.0f + p[2] * q);
    }
    if (kind == DENDRITE_SCHEDULE_PIECEWISE) {
        int k = (int) p[0];
        const DENDRITE_GLOBAL float *b = p + 1;
        const DENDRITE_GLOBAL float *v = p + 1 + k;
        if (step <= b[0]) {
            return v[0];
        }
        for (int i = 0; i + 1 < k; i++) {
            if (step > b[i] && step <= b[i + 1]) {
                return v[i + 1];
            }
        }
        return v[k];
    }
    if (kind == DENDRITE_SCHEDULE_POLYNOMIAL) {
        float decay_steps = p[1];
        if (p[4] != 0.0f) {
            decay_steps *= step == 0.0f ? 1.0f : dendrite_ceilf(step / p[1]);
        } else {
            step = dendrite_fminf(step, decay_steps);
        }
        return (p[0] - p[2]) * dendrite_powf(1.0f - step / decay_steps, p[3]) + p[2];
    }
    if (kind == DENDRITE_SCHEDULE_COSINE) {
        if (p[3] == 0.0f) {
            return dendrite_cosine_decay(dendrite_fminf(step, p[1]), p[1], p[0], p[2]);
        }
        float target = p[4];
        float warmup = p[5];
        step = dendrite_fminf(step, p[1] + warmup);
        if (step < warmup) {
            return (target - p[0]) * (step / warmup) + p[0];
        }
        return dendrite_cosine_decay(step - warmup, p[1], target, p[2]);
    }
    if (kind == DENDRITE_SCHEDULE_RESTARTS) {
        float fraction = step / p[1];
        float t_mul = p[2];
        float restart;
        if (t_mul == 1.0f) {
            restart = dendrite_floorf(fraction);
            fraction -= restart;
        } else {
            restart = dendrite_floorf(dendrite_logf(1.0f - fraction * (1.0f - t_mul)) / dendrite_logf(t_mul));
            float done = (1.0f - dendrite_powf(t_mul, restart)) / (1.0f - t_mul);
            fraction = (fraction - done) / dendrite_powf(t_mul, restart);
        }
        float cosine = 0.5f * dendrite_powf(p[3], restart) * (1.0f + dendrite_cosf(DENDRITE_PI_F * fraction));
        return p[0] * ((1.0f - p[4]) * cosine + p[4]);
    }
    if (kind == DENDRITE_SCHEDULE_LEGACY_DECAY) {
        return base * (1.0f / (1.0f + p[0] * step));
    }
    return base;
}

/* Gradient accumulation: is step `step` (0-based) the one that applies the accumulated update? */
DENDRITE_DEVICE int dendrite_is_update_step(int step, int accumulation_steps) {
    return (step + 1) % accumulation_steps == 0;
}

/*
 * One element's gradient accumulation, as Keras: on an update step the gradient becomes (g + acc) / steps and the
 * accumulator restarts at 0; on the others acc += g (and the gradient is left alone: the update it drives is
 * undone afterwards, as Keras's JAX backend does).
 */
DENDRITE_DEVICE float dendrite_accumulate(float grad, DENDRITE_GLOBAL float *acc, int update, int steps) {
    if (update) {
        float g = (grad + *acc) / (float) steps;
        *acc = 0.0f;
        return g;
    }
    *acc = *acc + grad;
    return grad;
}

/*
 * One element of the weights' moving average: m = momentum, or 0 at the first step (so the average starts as the
 * weight); average = m * average + (1 - m) * weight.
 */
DENDRITE_DEVICE float dendrite_ema(float average, float weight, float momentum, int first_step) {
    float m = first_step ? 0.0f : momentum;
    return dendrite_dot2(m, average, 1.0f - m, weight);
}

/* Whether the weights are overwritten by their average after optimizer iteration `iteration` (0 = never). */
DENDRITE_DEVICE int dendrite_ema_overwrites(int iteration, int frequency) {
    return frequency > 0 && (iteration + 1) % frequency == 0;
}

#endif /* DENDRITE_OPTIMIZER_OPTIONS_H */
