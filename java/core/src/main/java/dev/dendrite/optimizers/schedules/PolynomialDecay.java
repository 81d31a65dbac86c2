package dev.dendrite.optimizers.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code PolynomialDecay}: {@code (initial - end) * (1 - step / decay_steps) ^ power + end} with the step
 * capped at {@code decay_steps}; with {@code cycle}, {@code decay_steps} is instead multiplied by
 * {@code ceil(step / decay_steps)} (1 at step 0). Keras defaults: end 0.0001, power 1, no cycle.
 */
public final class PolynomialDecay extends LearningRateSchedule {
    private final double initialLearningRate;
    private final double decaySteps;
    private final double endLearningRate;
    private final double power;
    private final boolean cycle;

    public PolynomialDecay(double initialLearningRate, double decaySteps) {
        this(initialLearningRate, decaySteps, 0.0001, 1.0, false);
    }

    public PolynomialDecay(double initialLearningRate, double decaySteps, double endLearningRate, double power,
                           boolean cycle) {
        this.initialLearningRate = finite("PolynomialDecay initial_learning_rate", initialLearningRate);
        this.decaySteps = positive("PolynomialDecay decay_steps", decaySteps);
        this.endLearningRate = finite("PolynomialDecay end_learning_rate", endLearningRate);
        this.power = finite("PolynomialDecay power", power);
        this.cycle = cycle;
    }

    @Override
    public String className() {
        return "PolynomialDecay";
    }

    @Override
    public int kind() {
        return ScheduleMath.POLYNOMIAL;
    }

    @Override
    public float[] parameters() {
        return new float[] {(float) initialLearningRate, (float) decaySteps, (float) endLearningRate, (float) power,
            cycle ? 1f : 0f};
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("initial_learning_rate", initialLearningRate);
        m.put("decay_steps", decaySteps);
        m.put("end_learning_rate", endLearningRate);
        m.put("power", power);
        m.put("cycle", cycle);
        m.put("name", "PolynomialDecay");
        return m;
    }
}
