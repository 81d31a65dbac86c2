package dev.dendrite.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.callbacks.Logs;
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
     * batch's recorded ops) and noting its rows on the host (after each batch, recorded or not), and the metrics
     * computed on the host fed each batch's outputs.
     */
    double[] evaluateCounting(DeviceData data, int batchSize) {
        BatchMetrics counting = metrics.attached() ? this::accumulate : null;
        return engine.evaluate(data, batchSize, counting, new Engine.InferenceHooks() {
            @Override
            public void after(int batch, int start, int rows) {
                afterStep(rows);
            }
        });
    }

    /**
     * Adds the last training step's or inference batch's {@code rows} rows to the metrics: their count to those
     * counted on the device, their outputs (read back) to those computed on the host, if any.
     */
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
     * Loss and metrics over {@code data} in inference mode, keys prefixed by {@code prefix}, in one pass: the loss,
     * the device's accuracy count and the metrics counted on the device, and each batch's outputs read back for
     * the metrics computed on the host. {@code events} (Keras's evaluation hooks; empty for none) see the pass
     * begin, each batch begin and end (with the running means so far, read only if a callback reads them) and
     * the pass end with the unprefixed logs, which a callback may change before they are returned.
     */
    Map<String, Double> evaluate(DeviceData data, int batchSize, String prefix, CallbackList events) {
        boolean attachHere = !metrics.attached();
        if (attachHere) {
            metrics.attach(engine.backend(), engine.loss().sparseLabels(), engine.outputSize());
        }
        try {
            return evaluateAttached(data, batchSize, prefix, events);
        } finally {
            if (attachHere) {
                metrics.detach();
            }
        }
    }

    private Map<String, Double> evaluateAttached(DeviceData data, int batchSize, String prefix, CallbackList events) {
        metrics.reset();
        engine.clearInferenceStop(true);
        events.onTestBegin();
        int[] seen = {0};
        double[] v = engine.evaluate(data, batchSize, this::accumulate, new Engine.InferenceHooks() {
            @Override
            public void before(int batch) {
                events.onTestBatchBegin(batch);
            }

            @Override
            public void after(int batch, int start, int rows) {
                afterStep(rows);
                seen[0] += rows;
                int seenNow = seen[0];
                events.onTestBatchEnd(batch, Logs.lazy(() -> {
                    float[] s = engine.evalStats();
                    return logs("", s[Backend.STAT_LOSS] / seenNow, s[Backend.STAT_ACCURACY] / seenNow);
                }));
            }
        });
        return endTest(events, logs("", v[0], v[1]), prefix);
    }

    /**
     * Ends an evaluation: {@code events}' {@code onTestEnd} gets {@code logs} (unprefixed, as Keras's), and what the
     * callbacks leave there is returned with keys prefixed by {@code prefix}.
     */
    static Map<String, Double> endTest(CallbackList events, Map<String, Double> logs, String prefix) {
        Logs end = Logs.of(logs);
        events.onTestEnd(end);
        Map<String, Double> out = new LinkedHashMap<>();
        end.asMap().forEach((k, x) -> out.put(prefix + k, x));
        return out;
    }

    /** The loss and every metric's result so far, keys prefixed by {@code prefix}. */
    Map<String, Double> logs(String prefix, double loss, double deviceAccuracy) {
        Map<String, Double> logs = new LinkedHashMap<>();
        logs.put(prefix + "loss", loss);
        metrics.write(logs, prefix, deviceAccuracy);
        return logs;
    }
}
