package dev.dendrite.optimizers.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code CosineDecayRestarts} (SGDR, Loshchilov and Hutter): cosine decay from {@code initial} over
 * {@code first_decay_steps}, then restarts, each period {@code t_mul} times longer and its peak {@code m_mul}
 * times lower; {@code alpha} is the floor as a fraction of the peak. Keras defaults: t_mul 2, m_mul 1, alpha 0.
 */
public final class CosineDecayRestarts extends LearningRateSchedule {
    private final double initialLearningRate;
    private final double firstDecaySteps;
    private final double tMul;
    private final double mMul;
    private final double alpha;

    public CosineDecayRestarts(double initialLearningRate, double firstDecaySteps) {
        this(initialLearningRate, firstDecaySteps, 2.0, 1.0, 0.0);
    }

    public CosineDecayRestarts(double initialLearningRate, double firstDecaySteps, double tMul, double mMul,
                               double alpha) {
        this.initialLearningRate = finite("CosineDecayRestarts initial_learning_rate", initialLearningRate);
        this.firstDecaySteps = positive("CosineDecayRestarts first_decay_steps", firstDecaySteps);
        this.tMul = positive("CosineDecayRestarts t_mul", tMul);
        this.mMul = finite("CosineDecayRestarts m_mul", mMul);
        this.alpha = finite("CosineDecayRestarts alpha", alpha);
    }

    @Override
    public String className() {
        return "CosineDecayRestarts";
    }

    @Override
    public int kind() {
        return ScheduleMath.RESTARTS;
    }

    @Override
    public float[] parameters() {
        return new float[] {(float) initialLearningRate, (float) firstDecaySteps, (float) tMul, (float) mMul,
            (float) alpha};
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("initial_learning_rate", initialLearningRate);
        m.put("first_decay_steps", firstDecaySteps);
        m.put("t_mul", tMul);
        m.put("m_mul", mMul);
        m.put("alpha", alpha);
        m.put("name", "SGDRDecay");
        return m;
    }
}
