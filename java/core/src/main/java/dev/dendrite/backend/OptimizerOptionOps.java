package dev.dendrite.backend;

/**
 * The optimizer-options family of a backend (kernels/*&#47;optimizer_options.*): {@link Backend#learningRateSchedule},
 * {@link Backend#accumulateGradients}, {@link Backend#restoreUnlessUpdateStep} and {@link Backend#emaUpdate}, called
 * by {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface OptimizerOptionOps {
    void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out);

    void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps, Slice optimizerCounters);

    void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps);

    void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                   int overwriteFrequency);
}
