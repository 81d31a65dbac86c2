package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.losses.CategoricalCrossentropy;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.metrics.AUC;
import dev.dendrite.metrics.BinaryAccuracy;
import dev.dendrite.metrics.F1Score;
import dev.dendrite.metrics.Metric;
import dev.dendrite.metrics.MetricConfigs;
import dev.dendrite.metrics.MetricSet;
import dev.dendrite.metrics.Precision;
import dev.dendrite.metrics.Recall;
import dev.dendrite.metrics.TopKCategoricalAccuracy;
import dev.dendrite.optimizers.SGD;

/**
 * Metrics counted on the device during {@code fit}: a training step with AUC, precision, recall, F1 (per class and
 * macro), top-k and binary accuracy reads nothing back from the backend (counted by a proxy around it, between
 * each batch's begin and end callbacks), and the logged values are those of the host metrics over the same
 * outputs. With a learning rate of 0 the weights stay put, so the training batches' outputs are those of
 * {@code predict} in the same batches, and the host metrics on those give every expected value (within 1e-9: the
 * only difference is float64 summation order, binary accuracy's per-row division). Run per backend by a subclass;
 * on OpenCL the steps are recorded and replayed, so the metric ops are part of the recording.
 */
public abstract class DeviceMetricsFitTest {
    private static final int ROWS = 96;
    private static final int FEATURES = 6;
    private static final int CLASSES = 5;
    private static final int BATCH = 16;

    /** The backend under test; closed by the test. */
    protected abstract Backend createBackend();

    /** {@code inner} behind a proxy that counts its downloads, the only way a backend hands values to the host. */
    private static Backend countingDownloads(Backend inner, AtomicInteger downloads) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("download")) {
                        downloads.incrementAndGet();
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Records the downloads made between each batch's begin and end: the training step and its metrics. */
    private static final class ReadsPerBatch extends Callback {
        final AtomicInteger downloads;
        final List<Integer> perBatch = new ArrayList<>();
        int atBegin;

        ReadsPerBatch(AtomicInteger downloads) {
            this.downloads = downloads;
        }

        @Override
        public void onTrainBatchBegin(int batch, Logs logs) {
            atBegin = downloads.get();
        }

        @Override
        public void onTrainBatchEnd(int batch, Logs logs) {
            perBatch.add(downloads.get() - atBegin); // logs left unread: reading them would download the stats
        }
    }

    private static Tensor inputs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[ROWS * FEATURES];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.wrap(v, ROWS, FEATURES);
    }

    private static List<Metric> deviceMetrics() {
        return List.of(new TopKCategoricalAccuracy("top2", 2), new AUC(), new Precision(), new Recall(0.3),
                new F1Score("f1", "macro", null), new F1Score("f1_each", null, 0.25), new BinaryAccuracy("bin", 0.3));
    }

    /** The host metrics' logs over {@code rows} outputs {@code p} and labels {@code y}. */
    private static Map<String, Double> hostLogs(List<Metric> metrics, float[] p, int[] y, float[] t, int from,
                                                int rows, String prefix) {
        Map<String, Double> logs = new LinkedHashMap<>();
        for (Metric spec : metrics) {
            Metric m = MetricConfigs.fresh(spec);
            m.update(Arrays.copyOfRange(p, from * CLASSES, (from + rows) * CLASSES),
                    t == null ? null : Arrays.copyOfRange(t, from * CLASSES, (from + rows) * CLASSES),
                    y == null ? null : Arrays.copyOfRange(y, from, from + rows), rows, CLASSES);
            Map<String, Double> one = new LinkedHashMap<>();
            m.writeResult(one);
            one.forEach((k, v) -> logs.put(prefix + k, v));
        }
        return logs;
    }

    @Test
    void aTrainingStepWithDeviceMetricsReadsNothingBackAndLogsTheHostValues() {
        fitAndCompare(true);
    }

    @Test
    void thePropertyKeepsEveryMetricOnTheHostWithTheSameValues() {
        String was = System.getProperty(MetricSet.DEVICE_PROPERTY);
        System.setProperty(MetricSet.DEVICE_PROPERTY, "false");
        try {
            fitAndCompare(false);
        } finally {
            if (was == null) {
                System.clearProperty(MetricSet.DEVICE_PROPERTY);
            } else {
                System.setProperty(MetricSet.DEVICE_PROPERTY, was);
            }
        }
    }

    /** Fits with {@link #deviceMetrics()}; {@code onDevice}: whether they count on the device (no read per batch). */
    private void fitAndCompare(boolean onDevice) {
        Tensor x = inputs(11);
        SplittableRandom r = new SplittableRandom(12);
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = r.nextInt(CLASSES);
        }
        AtomicInteger downloads = new AtomicInteger();
        try (Backend inner = createBackend()) {
            Backend counted = countingDownloads(inner, downloads);
            try (Sequential m = new Sequential(new Input(FEATURES), new Dense(12, "relu"),
                    new Dense(CLASSES, "softmax")).backend(counted)) {
                List<Object> specs = new ArrayList<>(List.of("accuracy"));
                specs.addAll(deviceMetrics());
                m.compile(new SGD(0.0), new SparseCategoricalCrossentropy(), specs);
                ReadsPerBatch reads = new ReadsPerBatch(downloads);
                History h = m.fit(x, y, new FitOptions().epochs(2).batchSize(BATCH).shuffle(false).verbose(0)
                        .validationSplit(0.25).callbacks(reads));
                assertEquals(2 * ((72 + BATCH - 1) / BATCH), reads.perBatch.size(), "batches seen");
                assertTrue(reads.perBatch.stream().allMatch(n -> onDevice ? n == 0 : n > 0),
                        "downloads within each training batch: " + reads.perBatch);

                float[] p = m.predict(x, BATCH).toArray();
                Map<String, Double> want = hostLogs(deviceMetrics(), p, y, null, 0, 72, "");
                want.putAll(hostLogs(deviceMetrics(), p, y, null, 72, 24, "val_"));
                for (Map.Entry<String, Double> e : want.entrySet()) {
                    List<Double> logged = h.history().get(e.getKey());
                    assertTrue(logged != null, e.getKey() + " logged; keys " + h.history().keySet());
                    for (int epoch = 0; epoch < 2; epoch++) {
                        assertEquals(e.getValue(), logged.get(epoch), 1e-9, e.getKey() + " epoch " + epoch);
                    }
                }
                int before = downloads.get();
                Map<String, Double> ev = m.evaluate(x, y);
                Map<String, Double> all = hostLogs(deviceMetrics(), p, y, null, 0, ROWS, "");
                for (Map.Entry<String, Double> e : all.entrySet()) {
                    assertEquals(e.getValue(), ev.get(e.getKey()), 1e-9, "evaluate " + e.getKey());
                }
                if (onDevice) {
                    assertTrue(downloads.get() - before <= 2 + 2 * deviceMetrics().size(),
                            "evaluate reads the stats and each metric's counts once, not each batch's outputs: "
                                    + (downloads.get() - before) + " downloads");
                }
            }
        }
    }

    @Test
    void aMetricOnlyTheHostCanComputeStillReadsEachBatch() {
        // F1 on soft targets adds each target's value to its counts: not an integer, so it stays on the host and
        // each step's outputs come back; the counting above would have seen those reads.
        Tensor x = inputs(21);
        SplittableRandom r = new SplittableRandom(22);
        float[] t = new float[ROWS * CLASSES];
        for (int i = 0; i < ROWS; i++) {
            t[i * CLASSES + r.nextInt(CLASSES)] = 0.8f;
            t[i * CLASSES + r.nextInt(CLASSES)] += 0.2f;
        }
        AtomicInteger downloads = new AtomicInteger();
        try (Backend inner = createBackend()) {
            Backend counted = countingDownloads(inner, downloads);
            try (Sequential m = new Sequential(new Input(FEATURES), new Dense(CLASSES, "softmax")).backend(counted)) {
                m.compile(new SGD(0.0), new CategoricalCrossentropy(), new F1Score("f1", "micro", null), new AUC());
                ReadsPerBatch reads = new ReadsPerBatch(downloads);
                History h = m.fit(x, Tensor.wrap(t, ROWS, CLASSES), new FitOptions().epochs(1).batchSize(BATCH)
                        .shuffle(false).verbose(0).callbacks(reads));
                assertTrue(reads.perBatch.stream().allMatch(n -> n > 0), "reads per batch: " + reads.perBatch);
                float[] p = m.predict(x, BATCH).toArray();
                Map<String, Double> want = hostLogs(List.of(new F1Score("f1", "micro", null), new AUC()), p, null, t,
                        0, ROWS, "");
                want.forEach((k, v) -> assertEquals(v, h.history().get(k).get(0), 1e-9, k));
            }
        }
    }
}
