package dev.dendrite.optimizers;

import java.util.Map;

/**
 * The options Keras 3 gives every optimizer around its update rule, with Keras's names and defaults, plus Keras 2's
 * legacy {@code decay}. Set them through {@link Optimizer#options()}, e.g.
 * {@code adam.options().useEma(true).emaMomentum(0.999)}; a compiled model picks them up at its next
 * {@code compile}. {@link UpdatePlan} carries them out on the device.
 */
public final class OptimizerOptions {
    private double decay;
    private boolean useEma;
    private double emaMomentum = 0.99;
    private int emaOverwriteFrequency;
    private int gradientAccumulationSteps;

    OptimizerOptions() {
    }

    /**
     * Keras 2's {@code decay} (notebooks still write {@code Adam(lr=0.01, decay=0.01)}): the rate of step
     * {@code t} (0-based) is {@code lr / (1 + decay * t)}, {@code lr} being the optimizer's settable rate. Keras 3
     * ignores this argument with a warning; Dendrite applies it as Keras 2 did. 0 (the default) means none.
     */
    public OptimizerOptions decay(double decay) {
        if (!(decay >= 0) || !Double.isFinite(decay)) {
            throw new IllegalArgumentException("decay " + decay + "; expected a finite value >= 0");
        }
        this.decay = decay;
        return this;
    }

    /** Keras's {@code use_ema}: keep a moving average of the weights, which replaces them when fit ends. */
    public OptimizerOptions useEma(boolean useEma) {
        this.useEma = useEma;
        return this;
    }

    /** Keras's {@code ema_momentum} (default 0.99): {@code average = momentum * average + (1 - momentum) * w}. */
    public OptimizerOptions emaMomentum(double momentum) {
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("ema_momentum " + momentum + "; expected a value in [0, 1]");
        }
        this.emaMomentum = momentum;
        return this;
    }

    /** Keras's {@code ema_overwrite_frequency}: every this many iterations the weights become their average; 0 = None. */
    public OptimizerOptions emaOverwriteFrequency(int frequency) {
        if (frequency < 0) {
            throw new IllegalArgumentException("ema_overwrite_frequency " + frequency
                    + "; expected an integer >= 1, or 0 for None");
        }
        this.emaOverwriteFrequency = frequency;
        return this;
    }

    /**
     * Keras's {@code gradient_accumulation_steps}: gradients of this many steps are summed and their mean is applied
     * on every n-th step; the optimizer's iteration (Adam's t) counts applied updates. 0 = None.
     */
    public OptimizerOptions gradientAccumulationSteps(int steps) {
        if (steps != 0 && steps < 2) {
            throw new IllegalArgumentException("gradient_accumulation_steps " + steps
                    + "; expected an integer >= 2, or 0 for None");
        }
        this.gradientAccumulationSteps = steps;
        return this;
    }

    public double decay() {
        return decay;
    }

    public boolean useEma() {
        return useEma;
    }

    public double emaMomentum() {
        return emaMomentum;
    }

    public int emaOverwriteFrequency() {
        return emaOverwriteFrequency;
    }

    public int gradientAccumulationSteps() {
        return gradientAccumulationSteps;
    }

    /** Adds Keras's keys (None as null) to an optimizer's config, and {@code decay} when set. */
    void addTo(Map<String, Object> config) {
        config.put("use_ema", useEma);
        config.put("ema_momentum", emaMomentum);
        config.put("ema_overwrite_frequency", emaOverwriteFrequency == 0 ? null : emaOverwriteFrequency);
        config.put("gradient_accumulation_steps", gradientAccumulationSteps == 0 ? null : gradientAccumulationSteps);
        if (decay > 0) {
            config.put("decay", decay);
        }
    }

    /** Reads what {@link #addTo} wrote (missing keys keep the defaults). */
    void readFrom(Map<String, Object> config) {
        if (config.get("decay") instanceof Number d) {
            decay(d.doubleValue());
        }
        useEma(Boolean.TRUE.equals(config.get("use_ema")));
        if (config.get("ema_momentum") instanceof Number m) {
            emaMomentum(m.doubleValue());
        }
        if (config.get("ema_overwrite_frequency") instanceof Number f) {
            emaOverwriteFrequency(f.intValue());
        }
        if (config.get("gradient_accumulation_steps") instanceof Number s) {
            gradientAccumulationSteps(s.intValue());
        }
    }
}
