package dev.dendrite.optimizers.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code CosineDecay} with optional linear warm-up. Without a warm-up target:
 * {@code initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)}. With one,
 * the rate first rises linearly from {@code initial} to {@code warmup_target} over {@code warmup_steps}, then decays
 * from {@code warmup_target} as above over the next {@code decay_steps}. Keras defaults: alpha 0, no warm-up.
 */
public final class CosineDecay extends LearningRateSchedule {
    private final double initialLearningRate;
    private final double decaySteps;
    private final double alpha;
    private final Double warmupTarget;
    private final double warmupSteps;

    public CosineDecay(double initialLearningRate, double decaySteps) {
        this(initialLearningRate, decaySteps, 0.0, null, 0);
    }

    public CosineDecay(double initialLearningRate, double decaySteps, double alpha) {
        this(initialLearningRate, decaySteps, alpha, null, 0);
    }

    /** {@code warmupTarget} null means no warm-up, as Keras's None. */
    public CosineDecay(double initialLearningRate, double decaySteps, double alpha, Double warmupTarget,
                       double warmupSteps) {
        this.initialLearningRate = finite("CosineDecay initial_learning_rate", initialLearningRate);
        this.decaySteps = positive("CosineDecay decay_steps", decaySteps);
        this.alpha = finite("CosineDecay alpha", alpha);
        this.warmupTarget = warmupTarget == null ? null : finite("CosineDecay warmup_target", warmupTarget);
        if (!(warmupSteps >= 0) || !Double.isFinite(warmupSteps) || (warmupTarget != null && warmupSteps == 0)) {
            throw new IllegalArgumentException("CosineDecay warmup_steps " + warmupSteps + "; expected a finite value"
                    + (warmupTarget != null ? " > 0 with a warmup_target" : " >= 0"));
        }
        this.warmupSteps = warmupSteps;
    }

    @Override
    public String className() {
        return "CosineDecay";
    }

    @Override
    public int kind() {
        return ScheduleMath.COSINE;
    }

    @Override
    public float[] parameters() {
        return new float[] {(float) initialLearningRate, (float) decaySteps, (float) alpha,
            warmupTarget == null ? 0f : 1f, warmupTarget == null ? 0f : warmupTarget.floatValue(), (float) warmupSteps};
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("initial_learning_rate", initialLearningRate);
        m.put("decay_steps", decaySteps);
        m.put("alpha", alpha);
        m.put("name", "CosineDecay");
        m.put("warmup_target", warmupTarget);
        m.put("warmup_steps", warmupSteps);
        return m;
    }
}
