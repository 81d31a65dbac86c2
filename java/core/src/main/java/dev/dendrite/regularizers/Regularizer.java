package dev.dendrite.regularizers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's L1/L2 weight penalty: {@code l1 * sum |w| + l2 * sum w^2} is added to the loss, and its gradient
 * {@code l1 * sign(w) + 2 * l2 * w} to the weight's gradient. The strings {@code "l1"}, {@code "l2"} and
 * {@code "l1_l2"} give Keras's default factor 0.01.
 */
public final class Regularizer {
    /** Keras's default factor for the string forms. */
    public static final double DEFAULT_FACTOR = 0.01;

    private final float l1;
    private final float l2;

    private Regularizer(double l1, double l2) {
        if (!(l1 >= 0) || !(l2 >= 0) || !Double.isFinite(l1) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("regularizer factors l1=" + l1 + ", l2=" + l2
                    + "; expected finite values >= 0");
        }
        this.l1 = (float) l1;
        this.l2 = (float) l2;
    }

    public static Regularizer l1(double factor) {
        return new Regularizer(factor, 0);
    }

    public static Regularizer l2(double factor) {
        return new Regularizer(0, factor);
    }

    public static Regularizer l1l2(double l1, double l2) {
        return new Regularizer(l1, l2);
    }

    /**
     * Parses {@code "l1"}, {@code "l2"}, {@code "l1_l2"} (factor 0.01 each) or {@code null}/{@code "none"}
     * (no regulariser, returns null).
     *
     * @throws IllegalArgumentException naming the unknown value
     */
    public static Regularizer fromName(String name) {
        if (name == null) {
            return null;
        }
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "":
            case "none":
                return null;
            case "l1":
                return l1(DEFAULT_FACTOR);
            case "l2":
                return l2(DEFAULT_FACTOR);
            case "l1_l2":
            case "l1l2":
                return l1l2(DEFAULT_FACTOR, DEFAULT_FACTOR);
            default:
                throw new IllegalArgumentException("unknown regularizer '" + name
                        + "'; expected l1, l2, l1_l2 or none");
        }
    }

    public float l1() {
        return l1;
    }

    public float l2() {
        return l2;
    }

    /** {@code {"l1": .., "l2": ..}} for the model file. */
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("l1", (double) l1);
        m.put("l2", (double) l2);
        return m;
    }

    /**
     * Rebuilds a regularizer from {@link #config()} or from a Keras file's serialized form
     * ({@code {"class_name": "L2", "config": {"l2": 0.05}}}: {@code L1}, {@code L2} or {@code L1L2}).
     *
     * @throws IllegalArgumentException naming a Keras regularizer class other than those
     */
    @SuppressWarnings("unchecked")
    public static Regularizer fromConfig(Map<String, Object> config) {
        Object className = config.get("class_name");
        if (className != null) { // Keras's serialized form: {"class_name": "L2", "config": {"l2": 0.05}, ...}
            if (!(className.equals("L1") || className.equals("L2") || className.equals("L1L2"))) {
                throw new IllegalArgumentException("regularizer class '" + className + "'; expected L1, L2 or L1L2");
            }
            Object inner = config.get("config");
            return fromConfig(inner instanceof Map ? (Map<String, Object>) inner : Map.of());
        }
        return new Regularizer(((Number) config.getOrDefault("l1", 0.0)).doubleValue(),
                ((Number) config.getOrDefault("l2", 0.0)).doubleValue());
    }

    @Override
    public String toString() {
        return "L1L2(l1=" + l1 + ", l2=" + l2 + ")";
    }
}
