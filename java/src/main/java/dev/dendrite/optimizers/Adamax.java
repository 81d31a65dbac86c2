package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Adamax (Kingma and Ba, 2015, section 7.1), Adam with the infinity norm, exactly as Keras 3 computes it, with
 * {@code t} the 1-based step:
 * <pre>
 * m  = m + (g - m) * (1 - beta1)
 * u  = max(beta2 * u, |g|)
 * w -= lr * m / ((1 - beta1^t) * (u + epsilon))
 * </pre>
 * Keras defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
 */
public final class Adamax extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float beta1;
    private final float beta2;
    private final float epsilon;

    public Adamax() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adamax(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7);
    }

    public Adamax(double learningRate, double beta1, double beta2, double epsilon) {
        super(learningRate);
        checkRange("Adamax beta_1", beta1, 0, 1, false);
        checkRange("Adamax beta_2", beta2, 0, 1, false);
        checkRange("Adamax epsilon", epsilon, 0, Double.MAX_VALUE, true);
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.epsilon = (float) epsilon;
    }

    @Override
    public String name() {
        return "adamax";
    }

    /** The first moment {@code m} and the infinity norm {@code u}. */
    @Override
    public float[] slotInitialValues() {
        return new float[] {0f, 0f};
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        backend.adamaxUpdate(params, grads, slots[0], slots[1], n, hyper, counters, beta1, beta2, epsilon);
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
