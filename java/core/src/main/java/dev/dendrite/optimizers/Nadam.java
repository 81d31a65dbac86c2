package dev.dendrite.optimizers;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Nadam (Dozat, 2016), Adam with Nesterov momentum, exactly as Keras 3 computes it, with {@code t} the 1-based
 * step, Keras's momentum schedule {@code u_k = beta1 * (1 - 0.5 * 0.96^k)} and {@code P_t = u_1 * ... * u_t}:
 * <pre>
 * m     = m + (g - m) * (1 - beta1)
 * v     = v + (g^2 - v) * (1 - beta2)
 * m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
 * v_hat = v / (1 - beta2^t)
 * w    -= lr * m_hat / (sqrt(v_hat) + epsilon)
 * </pre>
 * Keras keeps {@code P_t} in a float variable multiplied once per step; the backends recompute it from {@code t}
 * (float on the GPUs, double on the CPU), so it agrees with Keras's to rounding, not bit for bit.
 * Keras defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
 */
public final class Nadam extends MomentOptimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    public Nadam() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Nadam(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7);
    }

    public Nadam(double learningRate, double beta1, double beta2, double epsilon) {
        super("Nadam", learningRate, beta1, beta2, epsilon);
    }

    @Override
    public String name() {
        return "nadam";
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        backend.nadamUpdate(params, grads, slots[0], slots[1], n, hyper, counters, beta1, beta2, epsilon);
    }
}
