package dev.dendrite.optimizers.schedules;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code ExponentialDecay}: {@code initial_learning_rate * decay_rate ^ (step / decay_steps)}, the exponent
 * floored when {@code staircase}.
 */
public final class ExponentialDecay extends DecayRate {
    public ExponentialDecay(double initialLearningRate, double decaySteps, double decayRate) {
        this(initialLearningRate, decaySteps, decayRate, false);
    }

    public ExponentialDecay(double initialLearningRate, double decaySteps, double decayRate, boolean staircase) {
        super(initialLearningRate, decaySteps, decayRate, staircase);
    }

    @Override
    public String className() {
        return "ExponentialDecay";
    }

    @Override
    public int kind() {
        return ScheduleMath.EXPONENTIAL;
    }
}
