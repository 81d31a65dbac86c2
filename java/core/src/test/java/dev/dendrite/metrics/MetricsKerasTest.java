package dev.dendrite.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.dendrite.io.Json;

/**
 * Every metric against Keras 3's values on outputs chosen to separate the definitions (a multi-unit sigmoid
 * output, a one-unit output, ties at the threshold, in the arg-max and in the top-k rank, values on AUC's
 * thresholds), fed in the same batches. The fixture comes from {@code bench/keras/metrics_fixture.py}, which
 * resolves each name with Keras's own {@code compile_utils.get_metric}.
 *
 * <p>Tolerance 2e-6 absolute: Keras accumulates and divides in float32 (a relative error of about 6e-8 per
 * operation; AUC sums 199 trapezoids), Dendrite in float64; every count is exact in both.
 */
class MetricsKerasTest {
    private static final double TOLERANCE = 2e-6;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases() throws IOException {
        try (InputStream in = MetricsKerasTest.class.getResourceAsStream("keras_metrics.json")) {
            Map<String, Object> root = (Map<String, Object>) Json.parse(new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) root.get("cases");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void valuesEqualKeras3() throws IOException {
        List<Map<String, Object>> cases = cases();
        assertEquals(5, cases.size());
        int checked = 0;
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            boolean sparse = (Boolean) c.get("sparse");
            int cols = ((Number) c.get("cols")).intValue();
            List<List<Number>> pred = (List<List<Number>>) c.get("y_pred");
            List<Object> truth = (List<Object>) c.get("y_true");
            Map<String, Object> expected = (Map<String, Object>) c.get("metrics");
            Map<String, Object> resolved = (Map<String, Object>) c.get("resolved");
            for (Map.Entry<String, Object> e : expected.entrySet()) {
                Metric m = MetricSet.resolve(e.getKey(), sparse, cols);
                String keras = ((String) resolved.get(e.getKey())).replace("SparseTopK", "TopK");
                assertEquals(keras, m.getClass().getSimpleName(), name + ": '" + e.getKey() + "' resolves as Keras");
                assertEquals(e.getKey(), m.name());
                int start = 0;
                for (Object b : (List<Object>) c.get("batches")) {
                    int rows = ((Number) b).intValue();
                    float[] p = new float[rows * cols];
                    float[] t = sparse ? null : new float[rows * cols];
                    int[] l = sparse ? new int[rows] : null;
                    for (int r = 0; r < rows; r++) {
                        for (int k = 0; k < cols; k++) {
                            p[r * cols + k] = pred.get(start + r).get(k).floatValue();
                            if (!sparse) {
                                t[r * cols + k] = ((List<Number>) truth.get(start + r)).get(k).floatValue();
                            }
                        }
                        if (sparse) {
                            l[r] = ((Number) truth.get(start + r)).intValue();
                        }
                    }
                    m.update(p, t, l, rows, cols);
                    start += rows;
                }
                if (e.getValue() instanceof List) {
                    List<Number> want = (List<Number>) e.getValue();
                    double[] got = ((F1Score) m).results();
                    assertEquals(want.size(), got.length, name + " " + e.getKey());
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(want.get(i).doubleValue(), got[i], TOLERANCE, name + " " + e.getKey() + "[" + i + "]");
                    }
                } else {
                    assertEquals(((Number) e.getValue()).doubleValue(), m.result(), TOLERANCE, name + " " + e.getKey());
                }
                checked++;
            }
        }
        assertEquals(30, checked);
    }

    @Test
    void resetForgetsEveryBatch() {
        for (String n : MetricSet.NAMES) {
            boolean sparse = n.startsWith("sparse");
            Metric m = MetricSet.resolve(n, sparse, 3);
            float[] p = {0.2f, 0.7f, 0.1f, 0.6f, 0.3f, 0.1f};
            float[] t = sparse ? null : new float[] {0, 1, 0, 0, 0, 1};
            int[] l = sparse ? new int[] {1, 2} : null;
            m.update(p, t, l, 2, 3);
            Map<String, Double> first = new java.util.LinkedHashMap<>();
            m.writeResult(first);
            m.update(new float[] {0.9f, 0.05f, 0.05f, 0.1f, 0.1f, 0.8f}, sparse ? null : new float[] {0, 0, 1, 1, 0, 0},
                    sparse ? new int[] {2, 0} : null, 2, 3);
            m.reset();
            m.update(p, t, l, 2, 3);
            Map<String, Double> again = new java.util.LinkedHashMap<>();
            m.writeResult(again);
            assertEquals(first, again, n);
        }
    }

    @Test
    void f1ScoreWritesOneKeyPerClassAsKerasReturnsAVector() {
        MetricSet set = MetricSet.of(List.of("acc", "f1_score"), new dev.dendrite.losses.SparseCategoricalCrossentropy(),
                3, true);
        assertTrue(set.usesDeviceAccuracy());
        assertTrue(set.needsOutputs());
        set.update(new float[] {0.2f, 0.7f, 0.1f, 0.6f, 0.3f, 0.1f}, null, new int[] {1, 0}, 2, 3);
        Map<String, Double> logs = new java.util.LinkedHashMap<>();
        set.write(logs, "val_", 0.25);
        assertEquals(new ArrayList<>(List.of("val_acc", "val_f1_score[0]", "val_f1_score[1]", "val_f1_score[2]")),
                new ArrayList<>(logs.keySet()));
        assertEquals(0.25, logs.get("val_acc"));
        assertEquals(1.0, logs.get("val_f1_score[0]"), 1e-6);
        assertEquals(0.0, logs.get("val_f1_score[2]"), 1e-6);
    }

    @Test
    void deviceAccuracyOnlyWhereTheLossCountsTheSameDefinition() {
        var bce = new dev.dendrite.losses.BinaryCrossentropy();
        // a multi-unit sigmoid's "accuracy" is categorical (Keras 3): the device's per-output count is not it
        assertFalse(MetricSet.of(List.of("accuracy"), bce, 4, true).usesDeviceAccuracy());
        assertTrue(MetricSet.of(List.of("binary_accuracy"), bce, 4, true).usesDeviceAccuracy());
        assertFalse(MetricSet.of(List.of("binary_accuracy"), bce, 4, false).usesDeviceAccuracy(), "soft targets");
        assertTrue(MetricSet.of(List.of("accuracy"), bce, 1, true).usesDeviceAccuracy());
        assertFalse(MetricSet.of(List.of("accuracy"), new dev.dendrite.losses.MeanSquaredError(), 1, true)
                .usesDeviceAccuracy());
        assertFalse(MetricSet.of(List.of("precision"), bce, 1, true).usesDeviceAccuracy());
    }

    @Test
    void badNamesAreRefusedNamingThem() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MetricSet.check("accuracyy", true));
        assertTrue(e.getMessage().contains("'accuracyy'") && e.getMessage().contains("f1_score"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MetricSet.check("categorical_accuracy", true));
        assertTrue(e.getMessage().contains("sparse_categorical_accuracy"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MetricSet.check("mae", true));
        assertTrue(e.getMessage().contains("'mae' compares outputs with target values"), e.getMessage());
        assertEquals("AUC", MetricSet.resolve("AUC", false, 1).name());
        assertTrue(MetricSet.resolve("F1Score", false, 2) instanceof F1Score);
    }
}
