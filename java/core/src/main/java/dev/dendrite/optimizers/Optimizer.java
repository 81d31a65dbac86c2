package dev.dendrite.optimizers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * A gradient-descent rule. Each optimizer is its hyperparameters and the formula (in its Javadoc); the
 * arithmetic runs as one fused backend op over the model's whole flat parameter buffer. Slots are
 * per-parameter state buffers (momentum, moment estimates ...), each as long as the parameter buffer.
 */
public abstract class Optimizer {
    private double learningRate;

    protected Optimizer(double learningRate) {
        setLearningRate(learningRate);
    }

    /** Keras's name, e.g. {@code "adam"}. */
    public abstract String name();

    public double learningRate() {
        return learningRate;
    }

    /**
     * Changes the learning rate; a compiled model picks it up at its next step (used by
     * {@code ReduceLROnPlateau}).
     */
    public void setLearningRate(double learningRate) {
        if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate " + learningRate + "; expected a finite value >= 0");
        }
        this.learningRate = learningRate;
    }

    /** The initial value of each slot; the array's length is the number of slots. */
    public abstract float[] slotInitialValues();

    /**
     * Issues the update of {@code n} parameters from their gradients. {@code hyper[HYPER_LR]} holds the
     * learning rate and {@code counters[COUNTER_STEP]} the number of steps already taken.
     */
    public abstract void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n,
                                Slice hyper, Slice counters);

    /** Hyperparameters for the model file; always includes {@code learning_rate}. */
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("learning_rate", learningRate);
        return m;
    }

    /**
     * Parses Keras's optimizer strings with Keras's defaults: {@code sgd, adam, rmsprop, adagrad}.
     *
     * @throws IllegalArgumentException naming the unknown value and the accepted ones
     */
    public static Optimizer fromName(String name) {
        switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "sgd":
                return new SGD();
            case "adam":
                return new Adam();
            case "rmsprop":
                return new RMSprop();
            case "adagrad":
                return new Adagrad();
            default:
                throw new IllegalArgumentException("unknown optimizer '" + name
                        + "'; expected one of: sgd, adam, rmsprop, adagrad");
        }
    }

    /** Rebuilds an optimizer from {@link #name()} and {@link #config()}. */
    public static Optimizer fromConfig(String name, Map<String, Object> config) {
        double lr = num(config, "learning_rate", Double.NaN);
        switch (name) {
            case "sgd":
                return new SGD(Double.isNaN(lr) ? SGD.DEFAULT_LEARNING_RATE : lr, num(config, "momentum", 0),
                        Boolean.TRUE.equals(config.get("nesterov")));
            case "adam":
                return new Adam(Double.isNaN(lr) ? Adam.DEFAULT_LEARNING_RATE : lr, num(config, "beta_1", 0.9),
                        num(config, "beta_2", 0.999), num(config, "epsilon", 1e-7),
                        Boolean.TRUE.equals(config.get("amsgrad")));
            case "rmsprop":
                return new RMSprop(Double.isNaN(lr) ? RMSprop.DEFAULT_LEARNING_RATE : lr, num(config, "rho", 0.9),
                        num(config, "momentum", 0), num(config, "epsilon", 1e-7),
                        Boolean.TRUE.equals(config.get("centered")));
            case "adagrad":
                return new Adagrad(Double.isNaN(lr) ? Adagrad.DEFAULT_LEARNING_RATE : lr,
                        num(config, "initial_accumulator_value", 0.1), num(config, "epsilon", 1e-7));
            default:
                return fromName(name);
        }
    }

    private static double num(Map<String, Object> config, String key, double fallback) {
        Object v = config.get(key);
        return v instanceof Number ? ((Number) v).doubleValue() : fallback;
    }

    static void checkRange(String what, double value, double lo, double hi, boolean hiInclusive) {
        if (!(value >= lo && (hiInclusive ? value <= hi : value < hi))) {
            throw new IllegalArgumentException(what + " " + value + "; expected a value in [" + lo + ", " + hi
                    + (hiInclusive ? "]" : ")"));
        }
    }

    @Override
    public String toString() {
        return name() + config();
    }
}
