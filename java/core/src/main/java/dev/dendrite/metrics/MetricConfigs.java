package dev.dendrite.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics in the model file's compile config, as Keras's {@code compile_config} holds them: a metric given by
 * name stays its name; a configured metric object ({@code new TopKCategoricalAccuracy(3)}, {@code new
 * F1Score("macro")}, {@code new AUC(50)}) becomes Keras's serialized form {@code {"module": "keras.metrics",
 * "class_name": ..., "config": {...}}} with its {@code get_config} arguments, and is made again from it.
 *
 * <p>A compiled model keeps each metric object only as a description: every fit or evaluate makes fresh ones
 * ({@link #fresh}), so the training and validation passes never share a metric's state.
 */
public final class MetricConfigs {
    private MetricConfigs() {
    }

    /** The metric classes {@link #fromConfig} makes, by Keras's class names. */
    public static final List<String> CLASS_NAMES = List.of("BinaryAccuracy", "CategoricalAccuracy",
            "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision",
            "Recall", "AUC", "F1Score", "MeanAbsoluteError", "MeanSquaredError", "RootMeanSquaredError");

    /**
     * The metric of Keras class {@code className} with the arguments of {@code config} (Keras's {@code get_config}
     * names; missing ones take Keras's defaults).
     *
     * @throws IllegalArgumentException naming an unknown class, or an argument Dendrite does not implement
     */
    public static Metric fromConfig(String className, Map<String, Object> config) {
        Map<String, Object> c = config == null ? Map.of() : config;
        switch (className == null ? "" : className) {
            case "BinaryAccuracy":
                return new BinaryAccuracy(name(c, "binary_accuracy"), number(c, "threshold",
                        BinaryAccuracy.DEFAULT_THRESHOLD));
            case "CategoricalAccuracy":
                return new CategoricalAccuracy(name(c, "categorical_accuracy"));
            case "SparseCategoricalAccuracy":
                return new SparseCategoricalAccuracy(name(c, "sparse_categorical_accuracy"));
            case "TopKCategoricalAccuracy":
                return new TopKCategoricalAccuracy(name(c, "top_k_categorical_accuracy"),
                        (int) number(c, "k", TopKCategoricalAccuracy.DEFAULT_K));
            case "SparseTopKCategoricalAccuracy":
                return new TopKCategoricalAccuracy(name(c, "sparse_top_k_categorical_accuracy"),
                        (int) number(c, "k", TopKCategoricalAccuracy.DEFAULT_K));
            case "Precision":
                onlyDefaults(className, c, "top_k", "class_id");
                return new Precision(name(c, "precision"), number(c, "thresholds", Precision.DEFAULT_THRESHOLD));
            case "Recall":
                onlyDefaults(className, c, "top_k", "class_id");
                return new Recall(name(c, "recall"), number(c, "thresholds", Recall.DEFAULT_THRESHOLD));
            case "AUC":
                expect(className, c, "curve", "ROC");
                expect(className, c, "summation_method", "interpolation");
                expect(className, c, "multi_label", false);
                expect(className, c, "from_logits", false);
                onlyDefaults(className, c, "thresholds", "num_labels", "label_weights");
                return new AUC(name(c, "auc"), (int) number(c, "num_thresholds", AUC.DEFAULT_NUM_THRESHOLDS));
            case "F1Score":
                return new F1Score(name(c, "f1_score"), (String) c.get("average"),
                        c.get("threshold") == null ? null : ((Number) c.get("threshold")).doubleValue());
            case "MeanAbsoluteError":
                return new MeanAbsoluteError(name(c, "mean_absolute_error"));
            case "MeanSquaredError":
                return new MeanSquaredError(name(c, "mean_squared_error"));
            case "RootMeanSquaredError":
                return new RootMeanSquaredError(name(c, "root_mean_squared_error"));
            default:
                throw new IllegalArgumentException("metric class '" + className + "'; expected one of: "
                        + String.join(", ", CLASS_NAMES));
        }
    }

    /**
     * A new metric with {@code m}'s arguments and no state, made from its config.
     *
     * @throws IllegalArgumentException when {@code m} is of a class {@link #fromConfig} cannot make, so it could
     *         neither be saved with the model nor used twice
     */
    public static Metric fresh(Metric m) {
        Metric copy;
        try {
            copy = fromConfig(m.className(), m.config());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metric " + m + " cannot be made again from its config ("
                    + e.getMessage() + "); expected a metric of dev.dendrite.metrics", e);
        }
        if (copy.getClass() != m.getClass() || !copy.config().equals(m.config())) {
            throw new IllegalArgumentException("metric " + m + " (" + m.getClass().getName() + ", config "
                    + m.config() + ") does not come back from its config as the same metric; expected one of: "
                    + String.join(", ", CLASS_NAMES));
        }
        return copy;
    }

    /**
     * The metrics {@code compile} was given, checked: names trimmed and checked without knowing the output's shape
     * ({@link MetricSet#check}), metric objects checked to come back from their config.
     *
     * @throws IllegalArgumentException naming an entry that is neither a known name nor such a metric
     */
    public static List<Object> checkForCompile(List<?> metrics, boolean sparseLabels) {
        List<Object> out = new ArrayList<>();
        for (Object metric : metrics) {
            if (metric instanceof Metric) {
                fresh((Metric) metric);
                out.add(metric);
            } else if (metric instanceof String) {
                MetricSet.check((String) metric, sparseLabels); // resolved by the output's shape when data comes
                out.add(((String) metric).trim());
            } else {
                throw new IllegalArgumentException("metric " + metric + "; expected a metric name or a Metric");
            }
        }
        return out;
    }

    /** The compile config's entry for a metric: its name as written, or Keras's serialized form of an object. */
    public static Object toCompileConfig(Object metric) {
        if (!(metric instanceof Metric)) {
            return String.valueOf(metric);
        }
        Metric m = (Metric) metric;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("module", "keras.metrics");
        out.put("class_name", m.className());
        out.put("config", m.config());
        out.put("registered_name", null);
        return out;
    }

    /**
     * The metrics of a compile config's {@code metrics} list: names as they are, serialized objects made again.
     *
     * @throws IllegalArgumentException naming an entry that is neither
     */
    @SuppressWarnings("unchecked")
    public static List<Object> fromCompileConfig(List<Object> entries) {
        List<Object> out = new ArrayList<>();
        for (Object e : entries) {
            if (e instanceof String) {
                out.add(e);
            } else if (e instanceof Map && ((Map<String, Object>) e).get("class_name") instanceof String) {
                Map<String, Object> m = (Map<String, Object>) e;
                out.add(fromConfig((String) m.get("class_name"), (Map<String, Object>) m.get("config")));
            } else {
                throw new IllegalArgumentException("compile config metric " + e + "; expected a metric name or "
                        + "{\"class_name\": ..., \"config\": {...}}");
            }
        }
        return out;
    }

    private static String name(Map<String, Object> c, String fallback) {
        Object n = c.get("name");
        return n == null ? fallback : n.toString();
    }

    private static double number(Map<String, Object> c, String key, double fallback) {
        Object v = c.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof List && ((List<?>) v).size() == 1) {
            v = ((List<?>) v).get(0); // Keras's thresholds may be a one-element list
        }
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException("metric argument " + key + " " + v + "; expected a number");
        }
        return ((Number) v).doubleValue();
    }

    private static void expect(String className, Map<String, Object> c, String key, Object value) {
        Object v = c.get(key);
        if (v != null && !v.equals(value)) {
            throw new IllegalArgumentException(className + " " + key + " " + v + "; expected " + value
                    + " (the only one implemented)");
        }
    }

    private static void onlyDefaults(String className, Map<String, Object> c, String... keys) {
        for (String key : keys) {
            if (c.get(key) != null) {
                throw new IllegalArgumentException(className + " " + key + " " + c.get(key)
                        + "; expected null (not implemented)");
            }
        }
    }
}
