package dev.dendrite.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Backend;

/**
 * A Keras 3 metric: state accumulated over batches of predictions and targets, and a result read from that
 * state ({@code reset_state}, {@code update_state}, {@code result}). The result is computed on the host in float64
 * from that state: fed by {@link #update} from outputs on the host, or, during a fit, by the counts a backend
 * accumulated on the device ({@link MetricSet#attach}), added into the same state when a result is written.
 *
 * <p>Targets come as dense rows ({@code yTrue}, {@code rows x cols}) or as class indices ({@code labels}); a
 * metric that needs dense rows reads class indices as one-hot rows through {@link #truth}.
 */
public abstract class Metric {
    private final String name;

    protected Metric(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("metric name '" + name + "'; expected a non-empty name");
        }
        this.name = name;
    }

    /** The name the user wrote (the key in the logs and the {@code History}), as in Keras. */
    public String name() {
        return name;
    }

    /** Forgets every batch seen, Keras's {@code reset_state}. */
    public abstract void reset();

    /**
     * Adds a batch: {@code yPred} holds {@code rows x cols} outputs; exactly one of {@code yTrue} (dense
     * targets, {@code rows x cols}) and {@code labels} (class indices, {@code rows}) is non-null.
     */
    public abstract void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols);

    /** The metric's value over every batch since the last reset; NaN-free as Keras's (0 where undefined). */
    public abstract double result();

    /**
     * The counts this metric needs, accumulated on {@code backend}'s device from batches of {@code cols} outputs
     * ({@link MetricSet#attach}); null where the metric is computed on the host from outputs read back: the
     * default, and the choice of a metric whose device counts would not give its exact host value for these
     * targets ({@code binaryTargets}: every dense target is 0 or 1).
     */
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        return null;
    }

    /**
     * Puts the result into {@code logs} under {@link #name()}. A metric whose Keras result is a vector (e.g.
     * {@code f1_score} with {@code average=None}, one value per class) puts {@code name[i]} for each element.
     */
    public void writeResult(Map<String, Double> logs) {
        logs.put(name, result());
    }

    /**
     * Keras's class name of the metric ({@code get_config}'s partner), under which the model file's compile config
     * stores it.
     */
    public String className() {
        return getClass().getSimpleName();
    }

    /**
     * The metric's arguments as Keras's {@code get_config} names them ({@code name}, {@code dtype}, and e.g.
     * {@code k}, {@code average}, {@code num_thresholds}); {@link MetricConfigs#fromConfig} makes the metric again.
     */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("dtype", "float32");
        return c;
    }

    /** Target {@code (r, c)}: the dense value, or 1/0 for whether class {@code c} is row {@code r}'s label. */
    protected static double truth(float[] yTrue, int[] labels, int cols, int r, int c) {
        return yTrue != null ? yTrue[r * cols + c] : (labels[r] == c ? 1 : 0);
    }

    /** The first index of the largest of {@code v[off, off + n)}, as Keras's {@code argmax}. */
    protected static int argMax(float[] v, int off, int n) {
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (v[off + c] > v[off + best]) {
                best = c;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + name + ")";
    }
}
