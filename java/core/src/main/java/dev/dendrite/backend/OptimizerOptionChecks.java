package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the optimizer-options family ({@link OptimizerOptionOps}).
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface OptimizerOptionChecks extends SliceChecks {
    default void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        String op = "learningRateSchedule";
        int need = ScheduleMath.minimumLength(kind); // names the kind when it is unknown
        f32(op, "schedule", schedule, need, "the parameters of schedule kind " + kind);
        counters(op, counters);
        hyper(op, hyper);
        f32(op, "out", out, Backend.HYPER_LR + 1, "HYPER_LR + 1");
        noOverlap(op, "out", out, Backend.HYPER_LR + 1, "schedule", schedule, schedule.length(), false);
    }

    default void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                     Slice optimizerCounters) {
        String op = "accumulateGradients";
        nonNegative(op, "n", n);
        vector(op, "grads", grads, n);
        vector(op, "accumulator", accumulator, n);
        counters(op, counters);
        accumulationSteps(op, steps, 2);
        slice(op, "optimizerCounters", optimizerCounters, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
        noOverlap(op, "grads", grads, n, "accumulator", accumulator, n, false);
        noOverlap(op, "optimizerCounters", optimizerCounters, Backend.COUNTERS_LENGTH, "counters", counters,
                Backend.COUNTERS_LENGTH, false);
    }

    default void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        String op = "restoreUnlessUpdateStep";
        nonNegative(op, "n", n);
        vector(op, "dst", dst, n);
        vector(op, "backup", backup, n);
        counters(op, counters);
        accumulationSteps(op, steps, 2);
        noOverlap(op, "dst", dst, n, "backup", backup, n, false);
    }

    default void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                           int overwriteFrequency) {
        String op = "emaUpdate";
        nonNegative(op, "n", n);
        vector(op, "params", params, n);
        vector(op, "average", average, n);
        counters(op, counters);
        accumulationSteps(op, accumulationSteps, 1);
        unitInterval(op, "momentum", momentum);
        nonNegative(op, "overwriteFrequency", overwriteFrequency);
        noOverlap(op, "params", params, n, "average", average, n, false);
    }

    private static void accumulationSteps(String op, int steps, int min) {
        if (steps < min) {
            throw new IllegalArgumentException(op + ": accumulation steps " + steps + "; expected at least " + min);
        }
    }
}
