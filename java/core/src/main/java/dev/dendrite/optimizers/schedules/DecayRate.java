package dev.dendrite.optimizers.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link ExponentialDecay} and {@link InverseTimeDecay} share: Keras gives both the same four arguments
 * ({@code initial_learning_rate, decay_steps, decay_rate, staircase}) and the same parameter layout on the device.
 */
abstract class DecayRate extends LearningRateSchedule {
    private final double initialLearningRate;
    private final double decaySteps;
    private final double decayRate;
    private final boolean staircase;

    DecayRate(double initialLearningRate, double decaySteps, double decayRate, boolean staircase) {
        this.initialLearningRate = finite(className() + " initial_learning_rate", initialLearningRate);
        this.decaySteps = positive(className() + " decay_steps", decaySteps);
        this.decayRate = finite(className() + " decay_rate", decayRate);
        this.staircase = staircase;
    }

    @Override
    public final float[] parameters() {
        return new float[] {(float) initialLearningRate, (float) decaySteps, (float) decayRate, staircase ? 1f : 0f};
    }

    @Override
    public final Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("initial_learning_rate", initialLearningRate);
        m.put("decay_steps", decaySteps);
        m.put("decay_rate", decayRate);
        m.put("staircase", staircase);
        m.put("name", className());
        return m;
    }
}
