package dev.dendrite.callbacks;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The metrics a callback receives, by Keras's names: {@code loss}, {@code accuracy}, {@code val_loss},
 * {@code val_accuracy}, {@code learning_rate}. Batch-level logs are computed only when first read, because
 * reading running metrics means waiting for the device.
 */
public final class Logs {
    private Supplier<Map<String, Double>> source;
    private Map<String, Double> values;

    private Logs(Supplier<Map<String, Double>> source, Map<String, Double> values) {
        this.source = source;
        this.values = values;
    }

    /** Logs holding these values (copied, order kept). */
    public static Logs of(Map<String, Double> values) {
        return new Logs(null, new LinkedHashMap<>(values));
    }

    /** Logs whose values are computed on first access. */
    public static Logs lazy(Supplier<Map<String, Double>> source) {
        return new Logs(source, null);
    }

    public static Logs empty() {
        return new Logs(null, new LinkedHashMap<>());
    }

    private Map<String, Double> resolve() {
        if (values == null) {
            values = new LinkedHashMap<>(source.get());
            source = null;
        }
        return values;
    }

    /** True if the metric is present. */
    public boolean has(String key) {
        return resolve().containsKey(key);
    }

    /**
     * The value of a metric.
     *
     * @throws IllegalArgumentException naming the key and the metrics that exist
     */
    public double get(String key) {
        Double v = resolve().get(key);
        if (v == null) {
            throw new IllegalArgumentException("no metric '" + key + "' in the logs; available: "
                    + resolve().keySet());
        }
        return v;
    }

    /** The value of a metric, or {@code fallback} when absent. */
    public double get(String key, double fallback) {
        Double v = resolve().get(key);
        return v == null ? fallback : v;
    }

    /** Adds or replaces a metric. */
    public void put(String key, double value) {
        resolve().put(key, value);
    }

    /** An unmodifiable view of the metrics, in insertion order. */
    public Map<String, Double> asMap() {
        return Collections.unmodifiableMap(resolve());
    }

    @Override
    public String toString() {
        return resolve().toString();
    }
}
