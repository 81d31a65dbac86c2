package dev.dendrite.constraints;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Keras's weight constraints: a projection applied to a weight after each optimizer update (Keras 3 applies them in
 * {@code optimizer.apply}, after the update and its moving average), so that the weight stays in a set, such as
 * {@link MaxNorm}'s bounded column norms (the partner of Dropout in Srivastava et al.'s paper). Set them on a layer:
 * {@code new Dense(300, "relu").kernelConstraint(new MaxNorm(3))}, or by Keras name ({@code "max_norm"}). They run on
 * the device, inside the recorded step, and are saved in the model file in Keras's serialized form.
 *
 * <p>The set is Keras's: {@link MaxNorm}, {@link MinMaxNorm}, {@link UnitNorm} and {@link NonNeg}. A constraint of
 * one's own cannot run on a device op, so the class is sealed.
 */
public abstract sealed class Constraint permits NormConstraint, NonNeg {
    Constraint() {
    }

    /** Keras's class name ({@code MaxNorm}, ...), the {@code class_name} of its serialized form. */
    public abstract String className();

    /** The constraint's arguments as Keras's {@code get_config} gives them. */
    public abstract Map<String, Object> config();

    /**
     * Checks that the constraint applies to a weight of {@code shape}, naming {@code where} (the layer and weight)
     * otherwise: the engine asks before training, so that a wrong axis fails at once rather than at the first step.
     *
     * @throws IllegalArgumentException naming the shape and the axis expected
     */
    public abstract void check(int[] shape, String where);

    /**
     * Applies the constraint to the weight {@code w} of {@code shape}, in place, on {@code backend}'s device. For the
     * engine, after each update.
     */
    public abstract void apply(Backend backend, Slice w, int[] shape);

    /**
     * Keras's serialized form, as {@code keras.constraints.serialize} writes it:
     * {@code {"module": "keras.constraints", "class_name": ..., "config": {...}, "registered_name": null}}.
     */
    public final Map<String, Object> serialize() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("module", "keras.constraints");
        m.put("class_name", className());
        m.put("config", config());
        m.put("registered_name", null);
        return m;
    }

    /**
     * Keras's {@code keras.constraints.get}: null (or "none") for none, a name ({@code "max_norm"}, {@code "MaxNorm"},
     * {@code "min_max_norm"}, {@code "unit_norm"}, {@code "non_neg"}; Keras's defaults), a serialized form
     * ({@link #serialize}), or a constraint, returned as it is.
     *
     * @throws IllegalArgumentException naming an unknown name or a form that is neither
     */
    @SuppressWarnings("unchecked")
    public static Constraint get(Object identifier) {
        if (identifier == null || identifier instanceof Constraint) {
            return (Constraint) identifier;
        }
        if (identifier instanceof String name) {
            String key = name.trim();
            if (key.isEmpty() || key.equalsIgnoreCase("none")) {
                return null;
            }
            return fromConfig(key, Map.of());
        }
        if (identifier instanceof Map<?, ?> map && map.get("class_name") instanceof String className) {
            Object config = map.get("config");
            return fromConfig(className, config == null ? Map.of() : (Map<String, Object>) config);
        }
        throw new IllegalArgumentException("constraint " + identifier + "; expected a name such as \"max_norm\", a "
                + "serialized form {\"class_name\": ..., \"config\": {...}} or null");
    }

    /** A constraint by Keras's class name or its snake_case alias, with the arguments {@code config}. */
    static Constraint fromConfig(String name, Map<String, Object> config) {
        switch (name.toLowerCase(Locale.ROOT).replace("_", "")) {
            case "maxnorm":
                return new MaxNorm(number(config, "max_value", MaxNorm.DEFAULT_MAX_VALUE), axis(config));
            case "minmaxnorm":
                return new MinMaxNorm(number(config, "min_value", 0.0), number(config, "max_value", 1.0),
                        number(config, "rate", 1.0), axis(config));
            case "unitnorm":
                return new UnitNorm(axis(config));
            case "nonneg":
                return new NonNeg();
            default:
                throw new IllegalArgumentException("unknown constraint '" + name + "'; expected MaxNorm, MinMaxNorm, "
                        + "UnitNorm or NonNeg (or max_norm, min_max_norm, unit_norm, non_neg)");
        }
    }

    private static double number(Map<String, Object> config, String key, double otherwise) {
        Object v = config.get(key);
        if (v == null) {
            return otherwise;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("constraint argument " + key + " = " + v + "; expected a number");
        }
        return n.doubleValue();
    }

    /** Keras's {@code axis}: an integer, or a list of one (Keras accepts lists; this backend reduces over one axis). */
    private static int axis(Map<String, Object> config) {
        Object v = config.get("axis");
        if (v instanceof List<?> list && list.size() == 1) {
            v = list.get(0);
        }
        if (v == null) {
            return 0;
        }
        if (v instanceof Number n && n.doubleValue() == n.intValue()) {
            return n.intValue();
        }
        throw new IllegalArgumentException("constraint axis " + v + "; expected one integer axis (0, 1 or -1)");
    }

    @Override
    public String toString() {
        return className() + config();
    }
}
