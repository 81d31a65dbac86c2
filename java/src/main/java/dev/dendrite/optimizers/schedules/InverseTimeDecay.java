package dev.dendrite.optimizers.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code InverseTimeDecay}: {@code initial_learning_rate / (1 + decay_rate * step / decay_steps)}, the
 * quotient {@code step / decay_steps} floored when {@code staircase}.
 */
public final class InverseTimeDecay extends LearningRateSchedule {
    private final double initialLearningRate;
    private final double decaySteps;
    private final double decayRate;
    private final boolean staircase;

    public InverseTimeDecay(double initialLearningRate, double decaySteps, double decayRate) {
        this(initialLearningRate, decaySteps, decayRate, false);
    }

    public InverseTimeDecay(double initialLearningRate, double decaySteps, double decayRate, boolean staircase) {
        this.initialLearningRate = finite("InverseTimeDecay initial_learning_rate", initialLearningRate);
        this.decaySteps = positive("InverseTimeDecay decay_steps", decaySteps);
        this.decayRate = finite("InverseTimeDecay decay_rate", decayRate);
        this.staircase = staircase;
    }

    @Override
    public String className() {
        return "InverseTimeDecay";
    }

    @Override
    public int kind() {
        return ScheduleMath.INVERSE_TIME;
    }

    @Override
    public float[] parameters() {
        return new float[] {(float) initialLearningRate, (float) decaySteps, (float) decayRate, staircase ? 1f : 0f};
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("initial_learning_rate", initialLearningRate);
        m.put("decay_steps", decaySteps);
        m.put("decay_rate", decayRate);
        m.put("staircase", staircase);
        m.put("name", "InverseTimeDecay");
        return m;
    }
}
