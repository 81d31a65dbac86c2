package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Adadelta (Zeiler, 2012) exactly as Keras 3 computes it, with both accumulators starting at 0:
 * <pre>
 * acc_g  = rho * acc_g + (1 - rho) * g^2
 * delta  = -sqrt(acc_dx + epsilon) * g / sqrt(acc_g + epsilon)
 * acc_dx = rho * acc_dx + (1 - rho) * delta^2
 * w     += lr * delta
 * </pre>
 * Unlike the paper (which has no learning rate), Keras scales the step by lr. Keras defaults: learning rate 0.001,
 * rho 0.95, epsilon 1e-7.
 */
public final class Adadelta extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float rho;
    private final float epsilon;

    public Adadelta() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adadelta(double learningRate) {
        this(learningRate, 0.95, 1e-7);
    }

    public Adadelta(double learningRate, double rho, double epsilon) {
        super(learningRate);
        checkRange("Adadelta rho", rho, 0, 1, true);
        checkRange("Adadelta epsilon", epsilon, 0, Double.MAX_VALUE, true);
        this.rho = (float) rho;
        this.epsilon = (float) epsilon;
    }

    @Override
    public String name() {
        return "adadelta";
    }

    /** The accumulated squared gradients and the accumulated squared updates. */
    @Override
    public float[] slotInitialValues() {
        return new float[] {0f, 0f};
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        backend.adadeltaUpdate(params, grads, slots[0], slots[1], n, hyper, rho, epsilon);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("rho", (double) rho);
        m.put("epsilon", (double) epsilon);
        return m;
    }
}
