package dev.dendrite.backend;

/**
 * The optimizer-options family of the op set (Keras 3's options, for any update rule;
 * {@code kernels/*&#47;optimizer_options.*}).
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface OptimizerOptionOps {
    /**
     * Writes one step's learning rate: {@code out[HYPER_LR] = } {@link ScheduleMath#learningRate}{@code (kind,
     * schedule, counters[COUNTER_STEP], hyper[HYPER_LR])}, with {@code schedule} the F32 parameters of schedule
     * {@code kind} ({@link ScheduleMath}). {@code out} may be {@code hyper}.
     */
    void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out);

    /**
     * Keras's gradient accumulation over {@code steps >= 2} steps: on an update step ({@code (counters[COUNTER_STEP]
     * + 1) % steps == 0}) {@code grads = (grads + accumulator) / steps} and {@code accumulator = 0}; on the others
     * {@code accumulator += grads}. Writes {@code optimizerCounters = [counters[COUNTER_STEP] / steps,
     * counters[COUNTER_BATCH]]}, the iteration Keras's optimizer sees.
     */
    void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                             Slice optimizerCounters);

    /** {@code dst = backup} (n elements) unless {@code (counters[COUNTER_STEP] + 1) % steps == 0}. */
    void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps);

    /**
     * Keras's moving average of the weights, with {@code it = counters[COUNTER_STEP] / accumulationSteps}:
     * {@code m = it == 0 ? 0 : momentum; average = m * average + (1 - m) * params}; then, when
     * {@code overwriteFrequency > 0} and {@code (it + 1) % overwriteFrequency == 0}, {@code params = average}.
     */
    void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                   int overwriteFrequency);
}
