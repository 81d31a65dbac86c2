package dev.dendrite.optimizers;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Lamb (You et al., 2020, "Large Batch Optimization for Deep Learning") exactly as Keras 3 computes it: Adam's
 * moments, and a step scaled per variable (per weight tensor) by the trust ratio {@code ||w|| / ||u||}, with
 * {@code t} the 1-based step:
 * <pre>
 * m  = m + (g - m) * (1 - beta1)
 * v  = v + (g^2 - v) * (1 - beta2)
 * u  = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 * r  = ||w|| / ||u|| over the variable (1 where either norm is 0)
 * w -= lr * r * u
 * </pre>
 * The norms are summed on the device, one backend op per weight tensor of the layout given to {@link #build}.
 * Keras defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
 */
public final class Lamb extends MomentOptimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    public Lamb() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Lamb(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7);
    }

    public Lamb(double learningRate, double beta1, double beta2, double epsilon) {
        super("Lamb", learningRate, beta1, beta2, epsilon);
    }

    @Override
    public String name() {
        return "lamb";
    }

    /** @throws IllegalStateException when {@link #build} has not been given the layout */
    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        for (ParameterLayout.Variable v : layoutOf(n, "Lamb's trust ratio is per weight tensor").variables()) {
            int o = v.offset();
            int size = v.size();
            backend.lambUpdate(params.slice(o, size), grads.slice(o, size), slots[0].slice(o, size),
                    slots[1].slice(o, size), size, hyper, counters, beta1, beta2, epsilon);
        }
    }
}
