package dev.dendrite.optimizers.schedules;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code InverseTimeDecay}: {@code initial_learning_rate / (1 + decay_rate * step / decay_steps)}, the
 * quotient {@code step / decay_steps} floored when {@code staircase}.
 */
public final class InverseTimeDecay extends DecayRate {
    public InverseTimeDecay(double initialLearningRate, double decaySteps, double decayRate) {
        this(initialLearningRate, decaySteps, decayRate, false);
    }

    public InverseTimeDecay(double initialLearningRate, double decaySteps, double decayRate, boolean staircase) {
        super(initialLearningRate, decaySteps, decayRate, staircase);
    }

    @Override
    public String className() {
        return "InverseTimeDecay";
    }

    @Override
    public int kind() {
        return ScheduleMath.INVERSE_TIME;
    }
}
