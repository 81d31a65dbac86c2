package dev.dendrite.optimizers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.ScheduleMath;
import dev.dendrite.backend.Slice;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * A gradient-descent rule. Each optimizer is its hyperparameters and the formula (in its Javadoc); the
 * arithmetic runs as one fused backend op over the model's whole flat parameter buffer. Slots are
 * per-parameter state buffers (momentum, moment estimates ...), each as long as the parameter buffer.
 */
public abstract class Optimizer {
    private double learningRate;
    private LearningRateSchedule schedule;
    private final OptimizerOptions options = new OptimizerOptions();
    private GradientOptions gradientOptions = GradientOptions.NONE;
    private ParameterLayout layout;

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
        if (schedule != null) { // as Keras, which raises a TypeError
            throw new IllegalStateException("this optimizer's learning rate is a schedule (" + schedule
                    + "); it cannot be set to " + learningRate);
        }
        if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate " + learningRate + "; expected a finite value >= 0");
        }
        this.learningRate = learningRate;
    }

    /**
     * True when each parameter's update reads nothing but its own value, gradient and slots (and the step's rate
     * and counter): then {@link #update} on parts of the parameter buffer, one after another, gives the same bits
     * as on the whole, and a model may update each layer as soon as its gradients are ready. False (the default)
     * for rules that work per weight tensor (Lamb's trust ratio, Adafactor's factored moments).
     */
    public boolean updatesEachParameterAlone() {
        return false;
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
        m.put("learning_rate", schedule != null ? schedule.serialize() : learningRate);
        options.addTo(m);
        m.putAll(gradientOptions.config());
        return m;
    }

    /** Clipping and weight decay ({@link GradientOptions}); {@link GradientOptions#NONE} by default. */
    public GradientOptions gradientOptions() {
        return gradientOptions;
    }

    /** Replaces the clipping and weight-decay options; returns this optimizer. */
    public Optimizer setGradientOptions(GradientOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("gradient options are null; expected GradientOptions.NONE or others");
        }
        this.gradientOptions = options;
        return this;
    }

    /**
     * Tells the optimizer which weight tensors make up the flat buffer, as Keras's {@code build(var_list)}:
     * compile calls it; per-variable options ({@code clipnorm}) need it.
     */
    public void build(ParameterLayout layout) {
        this.layout = layout;
    }

    /** The layout given to {@link #build}, or null. */
    public ParameterLayout layout() {
        return layout;
    }

    /**
     * The layout given to {@link #build}, for rules that work per weight tensor.
     *
     * @param why what needs it, the start of the message, e.g. {@code "Lamb's trust ratio is per weight tensor"}
     * @throws IllegalStateException when there is none or it describes other than these {@code n} parameters
     */
    ParameterLayout layoutOf(int n, String why) {
        if (layout == null || layout.size() != n) {
            throw new IllegalStateException(why + " and needs the parameter layout of these " + n + " parameters: call"
                    + " build(ParameterLayout) first (compile does); layout " + layout);
        }
        return layout;
    }

    /**
     * One training step's update in Keras 3's order: the gradient clipping, then the weight decay (both from
     * {@link #gradientOptions()}), then {@link #update}.
     */
    public final void apply(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                            Slice counters) {
        gradientOptions.apply(backend, params, grads, n, hyper, layout);
        update(backend, params, grads, slots, n, hyper, counters);
    }

    /**
     * Parses Keras's optimizer strings with Keras's defaults: {@code sgd, adam, rmsprop, adagrad, adamw,
     * adadelta, adamax, nadam, lion, ftrl, lamb, adafactor}.
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
            case "adamw":
                return new AdamW();
            case "adadelta":
                return new Adadelta();
            case "adamax":
                return new Adamax();
            case "nadam":
                return new Nadam();
            case "lion":
                return new Lion();
            case "ftrl":
                return new Ftrl();
            case "lamb":
                return new Lamb();
            case "adafactor":
                return new Adafactor();
            default:
                throw new IllegalArgumentException("unknown optimizer '" + name
                        + "'; expected one of: sgd, adam, rmsprop, adagrad, adamw, adadelta, adamax, nadam, lion, "
                        + "ftrl, lamb, adafactor");
        }
    }

    /** Rebuilds an optimizer from {@link #name()} and {@link #config()}, gradient options included. */
    @SuppressWarnings("unchecked")
    public static Optimizer fromConfig(String name, Map<String, Object> config) {
        Optimizer o = fromConfigRule(name, config);
        if (config.get("learning_rate") instanceof Map<?, ?> s) {
            o.setLearningRate(LearningRateSchedule.deserialize((Map<String, Object>) s));
        }
        o.options.readFrom(config);
        return o;
    }

    private static Optimizer fromConfigRule(String name, Map<String, Object> config) {
        Optimizer o = fromConfigWithoutOptions(name, config);
        return o.setGradientOptions(o.gradientOptions().withConfig(config));
    }

    private static Optimizer fromConfigWithoutOptions(String name, Map<String, Object> config) {
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
            case "adamw":
                return new AdamW(Double.isNaN(lr) ? AdamW.DEFAULT_LEARNING_RATE : lr,
                        num(config, "weight_decay", AdamW.DEFAULT_WEIGHT_DECAY), num(config, "beta_1", 0.9),
                        num(config, "beta_2", 0.999), num(config, "epsilon", 1e-7),
                        Boolean.TRUE.equals(config.get("amsgrad")));
            case "adadelta":
                return new Adadelta(Double.isNaN(lr) ? Adadelta.DEFAULT_LEARNING_RATE : lr, num(config, "rho", 0.95),
                        num(config, "epsilon", 1e-7));
            case "adamax":
                return new Adamax(Double.isNaN(lr) ? Adamax.DEFAULT_LEARNING_RATE : lr, num(config, "beta_1", 0.9),
                        num(config, "beta_2", 0.999), num(config, "epsilon", 1e-7));
            case "nadam":
                return new Nadam(Double.isNaN(lr) ? Nadam.DEFAULT_LEARNING_RATE : lr, num(config, "beta_1", 0.9),
                        num(config, "beta_2", 0.999), num(config, "epsilon", 1e-7));
            case "lion":
                return new Lion(Double.isNaN(lr) ? Lion.DEFAULT_LEARNING_RATE : lr, num(config, "beta_1", 0.9),
                        num(config, "beta_2", 0.99));
            case "ftrl":
                return new Ftrl(Double.isNaN(lr) ? Ftrl.DEFAULT_LEARNING_RATE : lr,
                        num(config, "learning_rate_power", -0.5), num(config, "initial_accumulator_value", 0.1),
                        num(config, "l1_regularization_strength", 0), num(config, "l2_regularization_strength", 0),
                        num(config, "l2_shrinkage_regularization_strength", 0), num(config, "beta", 0));
            case "lamb":
                return new Lamb(Double.isNaN(lr) ? Lamb.DEFAULT_LEARNING_RATE : lr, num(config, "beta_1", 0.9),
                        num(config, "beta_2", 0.999), num(config, "epsilon", 1e-7));
            case "adafactor":
                return new Adafactor(Double.isNaN(lr) ? Adafactor.DEFAULT_LEARNING_RATE : lr,
                        num(config, "beta_2_decay", -0.8), num(config, "epsilon_1", 1e-30),
                        num(config, "epsilon_2", 1e-3), num(config, "clip_threshold", 1.0),
                        !Boolean.FALSE.equals(config.get("relative_step")));
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

    /**
     * Makes the learning rate a function of the step ({@code keras.optimizers.schedules}), computed on the device in
     * each training step; a compiled model picks it up at its next {@code compile}.
     */
    public void setLearningRate(LearningRateSchedule schedule) {
        if (schedule == null) {
            throw new IllegalArgumentException("learning-rate schedule null; expected a LearningRateSchedule");
        }
        this.schedule = schedule;
    }

    /** The learning-rate schedule, or null when the rate is a constant ({@link #learningRate()}). */
    public LearningRateSchedule learningRateSchedule() {
        return schedule;
    }

    /**
     * The rate the update of step {@code iterations} (0-based, Keras's {@code optimizer.iterations}) uses: the
     * schedule's value, or with Keras 2's {@code decay} {@code lr / (1 + decay * iterations)}, else the rate.
     */
    public double learningRateAt(long iterations) {
        if (schedule != null) {
            return schedule.valueAt(iterations);
        }
        return options.decay() > 0 ? ScheduleMath.learningRate(ScheduleMath.LEGACY_DECAY,
                new float[] {(float) options.decay()}, 0, iterations, (float) learningRate) : learningRate;
    }

    /** Keras 3's options around the update rule (EMA, gradient accumulation) and Keras 2's {@code decay}. */
    public OptimizerOptions options() {
        return options;
    }

    @Override
    public String toString() {
        return name() + config();
    }
}
