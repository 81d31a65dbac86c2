package dev.dendrite.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.data.Tensor;
import dev.dendrite.losses.Loss;
import dev.dendrite.metrics.MetricSet;

/**
 * Feeds a {@link MetricSet} from a model's {@link Engine}. While {@link #attach}ed (a fit) the metrics that can
 * count on the device do so inside each training step and each inference batch, and are read once per epoch;
 * the others are fed each batch's outputs read back after the step, and over a whole dataset in inference mode,
 * for validation and {@code evaluate}.
 */
final class HostMetrics {
    private final Engine engine;
    private final MetricSet metrics;
    private float[] outputs = new float[0];
    private float[] targets = new float[0];
    private int[] labels = new int[0];

    HostMetrics(Engine engine, MetricSet metrics) {
        this.engine = engine;
        this.metrics = metrics;
    }

    /** The metrics of {@code names} for the engine's output and loss; {@code targets} null for class indices. */
    static MetricSet resolve(List<?> names, Engine engine, Tensor targets) {
        return MetricSet.of(names, engine.loss(), engine.outputSize(), targets == null || isBinary(targets));
    }

    /** Whether every target is exactly 0 or 1. */
    static boolean isBinary(Tensor targets) {
        float[] v = targets.array();
        int end = targets.arrayOffset() + targets.rows() * targets.sampleSize();
        for (int i = targets.arrayOffset(); i < end; i++) {
            if (v[i] != 0f && v[i] != 1f) {
                return false;
            }
        }
        return true;
    }

    MetricSet metrics() {
        return metrics;
    }

    /** Whether {@link #afterStep} reads each batch's outputs back (metrics computed on the host). */
    boolean readsEveryBatch() {
        return metrics.needsOutputs();
    }

    /**
     * Gives the metrics device counters on the engine's backend and has every training step add to them, until
     * {@link #detach}.
     */
    void attach() {
        metrics.attach(engine.backend(), engine.loss().sparseLabels(), engine.outputSize());
        engine.stepMetrics(this::accumulate);
    }

    /** Ends {@link #attach}: the steps stop counting and the counters are freed. */
    void detach() {
        try {
            engine.stepMetrics(null);
        } finally {
            metrics.detach();
        }
    }

    private void accumulate(Slice outputs, Slice targets, int rows) {
        metrics.accumulate(outputs, targets, rows, engine.outputSize());
    }

    /**
     * {@link Engine#evaluate} over {@code data}, with the attached metrics counting each batch on the device (in the
     * batch's recorded ops) and noting its rows on the host (after each batch, recorded or not).
     */
    double[] evaluateCounting(DeviceData data, int batchSize) {
        boolean counting = metrics.attached();
        return engine.evaluate(data, batchSize, counting ? this::accumulate : null,
                counting ? rows -> metrics.counted(rows, engine.outputSize()) : null);
    }

    /** Adds the last training step's batch of {@code rows} rows to the host metrics, if any needs it. */
    void afterStep(int rows) {
        metrics.counted(rows, engine.outputSize());
        if (!metrics.needsOutputs()) {
            return;
        }
        int cols = engine.outputSize();
        boolean sparse = engine.loss().sparseLabels();
        outputs = grow(outputs, rows * cols);
        if (sparse) {
            labels = labels.length >= rows ? labels : new int[rows];
        } else {
            targets = grow(targets, rows * cols);
        }
        Slice[] last = engine.lastBatch();
        Backend backend = engine.backend();
        backend.download(last[0].slice(0, rows * cols), outputs, 0);
        if (sparse) {
            backend.download(last[1].slice(0, rows), labels, 0);
        } else {
            backend.download(last[1].slice(0, rows * cols), targets, 0);
        }
        metrics.update(outputs, sparse ? null : targets, sparse ? labels : null, rows, cols);
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    /**
     * Loss and metrics over {@code data} in inference mode, keys prefixed by {@code prefix}: one pass for the
     * loss, the device's accuracy count and the metrics counted on the device, and, when a metric is computed on
     * the host, one more forward pass whose outputs are read back with the targets.
     */
    Map<String, Double> evaluate(DeviceData data, int batchSize, String prefix) {
        boolean attachHere = !metrics.attached();
        if (attachHere) {
            metrics.attach(engine.backend(), engine.loss().sparseLabels(), engine.outputSize());
        }
        try {
            return evaluateAttached(data, batchSize, prefix);
        } finally {
            if (attachHere) {
                metrics.detach();
            }
        }
    }

    private Map<String, Double> evaluateAttached(DeviceData data, int batchSize, String prefix) {
        metrics.reset();
        double[] v = evaluateCounting(data, batchSize);
        Map<String, Double> logs = new LinkedHashMap<>();
        logs.put(prefix + "loss", v[0]);
        if (metrics.needsOutputs()) {
            int cols = engine.outputSize();
            float[] pred = engine.predict(data, batchSize);
            Backend backend = engine.backend();
            if (engine.loss().sparseLabels()) {
                int[] y = new int[data.rows()];
                backend.download(data.y().slice(0, data.rows()), y, 0);
                metrics.update(pred, null, y, data.rows(), cols);
            } else {
                float[] y = new float[data.rows() * cols];
                backend.download(data.y().slice(0, y.length), y, 0);
                metrics.update(pred, y, null, data.rows(), cols);
            }
        }
        metrics.write(logs, prefix, v[1]);
        return logs;
    }
}
