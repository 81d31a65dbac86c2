package dev.dendrite.optimizers;

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
public final class Adamax extends MomentOptimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    public Adamax() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adamax(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7);
    }

    public Adamax(double learningRate, double beta1, double beta2, double epsilon) {
        super("Adamax", learningRate, beta1, beta2, epsilon);
    }

    @Override
    public String name() {
        return "adamax";
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        backend.adamaxUpdate(params, grads, slots[0], slots[1], n, hyper, counters, beta1, beta2, epsilon);
    }
}
