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
        stepped(op, n, "grads", grads, "accumulator", accumulator, counters, steps, 2);
        slice(op, "optimizerCounters", optimizerCounters, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
        noOverlap(op, "grads", grads, n, "accumulator", accumulator, n, false);
        noOverlap(op, "optimizerCounters", optimizerCounters, Backend.COUNTERS_LENGTH, "counters", counters,
                Backend.COUNTERS_LENGTH, false);
    }

    default void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        String op = "restoreUnlessUpdateStep";
        stepped(op, n, "dst", dst, "backup", backup, counters, steps, 2);
        noOverlap(op, "dst", dst, n, "backup", backup, n, false);
    }

    default void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                           int overwriteFrequency) {
        String op = "emaUpdate";
        stepped(op, n, "params", params, "average", average, counters, accumulationSteps, 1);
        unitInterval(op, "momentum", momentum);
        nonNegative(op, "overwriteFrequency", overwriteFrequency);
        noOverlap(op, "params", params, n, "average", average, n, false);
    }

    /**
     * What the accumulation-aware options start with: {@code n >= 0}, their two n-vectors, the counters, and at least
     * {@code minSteps} accumulation steps.
     */
    private void stepped(String op, int n, String name1, Slice s1, String name2, Slice s2, Slice counters, int steps,
                         int minSteps) {
        nonNegative(op, "n", n);
        vectors(op, n, name1, s1, name2, s2);
        counters(op, counters);
        accumulationSteps(op, steps, minSteps);
    }

    private static void accumulationSteps(String op, int steps, int min) {
        if (steps < min) {
            throw new IllegalArgumentException(op + ": accumulation steps " + steps + "; expected at least " + min);
        }
    }
}
