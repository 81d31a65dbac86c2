package dev.dendrite.optimizers;

import java.util.Map;

/**
 * What Adamax, Nadam and Lamb share: Keras's {@code beta_1}, {@code beta_2} (each in [0, 1)) and {@code epsilon},
 * two state slots starting at 0, and those three in the config. Each subclass is its own update rule.
 */
abstract class MomentOptimizer extends Optimizer {
    final float beta1;
    final float beta2;
    final float epsilon;

    /** @param kerasName the class name in error messages, e.g. {@code "Adamax"} */
    MomentOptimizer(String kerasName, double learningRate, double beta1, double beta2, double epsilon) {
        super(learningRate);
        checkRange(kerasName + " beta_1", beta1, 0, 1, false);
        checkRange(kerasName + " beta_2", beta2, 0, 1, false);
        checkRange(kerasName + " epsilon", epsilon, 0, Double.MAX_VALUE, true);
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.epsilon = (float) epsilon;
    }

    /** The two moment estimates, both from 0. */
    @Override
    public final float[] slotInitialValues() {
        return new float[] {0f, 0f};
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("beta_1", (double) beta1);
        m.put("beta_2", (double) beta2);
        m.put("epsilon", (double) epsilon);
        return m;
    }
}
