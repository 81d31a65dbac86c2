package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms") exactly as Keras 3 computes it:
 * <pre>
 * w -= lr * sign(beta1 * m + (1 - beta1) * g)
 * m  = beta2 * m + (1 - beta2) * g
 * </pre>
 * with {@code sign(0) = 0}. Every step moves each weight by exactly lr (or 0), so Lion wants a learning rate 3 to
 * 10 times smaller than Adam's. Keras defaults: learning rate 0.001, beta1 0.9, beta2 0.99.
 */
public final class Lion extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float beta1;
    private final float beta2;

    public Lion() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Lion(double learningRate) {
        this(learningRate, 0.9, 0.99);
    }

    public Lion(double learningRate, double beta1, double beta2) {
        super(learningRate);
        // Keras: beta_1 in (0, 1], "otherwise the optimizer degenerates to SignSGD".
        if (!(beta1 > 0 && beta1 <= 1)) {
            throw new IllegalArgumentException("Lion beta_1 " + beta1 + "; expected a value in (0, 1]: at 0 Lion "
                    + "degenerates to SignSGD");
        }
        checkRange("Lion beta_2", beta2, 0, 1, true);
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
    }

    @Override
    public String name() {
        return "lion";
    }

    /** The momentum {@code m}. */
    @Override
    public float[] slotInitialValues() {
        return new float[] {0f};
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        backend.lionUpdate(params, grads, slots[0], n, hyper, beta1, beta2);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("beta_1", (double) beta1);
        m.put("beta_2", (double) beta2);
        return m;
    }
}
