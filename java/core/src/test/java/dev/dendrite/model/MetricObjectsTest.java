package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.io.ModelFile;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.losses.Loss;
import dev.dendrite.metrics.AUC;
import dev.dendrite.metrics.F1Score;
import dev.dendrite.metrics.Metric;
import dev.dendrite.metrics.MetricConfigs;
import dev.dendrite.metrics.TopKCategoricalAccuracy;
import dev.dendrite.optimizers.Adam;

/**
 * Metrics given as configured objects (Keras's {@code metrics=[TopKCategoricalAccuracy(k=2), F1Score(average=
 * "macro"), AUC(num_thresholds=50)]}) beside names: their arguments take effect, and the model file's compile
 * config keeps them in Keras's serialized form, so a loaded model reports the same metrics.
 */
class MetricObjectsTest extends CpuModelTestBase {
    @TempDir
    Path dir;

    private static final Object[] DATA = SequentialTest.blobs(120, 41);
    private static final Tensor X = (Tensor) DATA[0];
    private static final int[] Y = (int[]) DATA[1];

    private static Sequential net() {
        // Six outputs for three classes from seeded random weights, trained at a tiny rate: the label often ranks
        // 2nd or lower, so top-1, top-2 and the default top-5 all differ.
        Sequential m = new Sequential(new Input(4), new Dense(6, "softmax")).backend(cpu);
        java.util.Random r = new java.util.Random(5);
        float[] kernel = new float[4 * 6];
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) r.nextGaussian();
        }
        m.setWeights(List.of(kernel, new float[6]));
        return m;
    }

    /** Top-2 hits counted here from the outputs, ties in the label's favour as Keras's in_top_k. */
    private static double top2(float[] out, int[] y) {
        int hits = 0;
        for (int r = 0; r < y.length; r++) {
            int larger = 0;
            for (int c = 0; c < 6; c++) {
                larger += out[r * 6 + c] > out[r * 6 + y[r]] ? 1 : 0;
            }
            hits += larger < 2 ? 1 : 0;
        }
        return (double) hits / y.length;
    }

    @Test
    void configuredMetricsTakeTheirArgumentsAndComeBackFromTheFile() throws IOException {
        Path file = dir.resolve("m.dendrite");
        Map<String, Double> before;
        try (Sequential m = net()) {
            m.compile(new Adam(1e-5), Loss.fromName("sparse_categorical_crossentropy"),
                    List.of("acc", new TopKCategoricalAccuracy(2), new F1Score("macro"), new AUC(50)));
            assertEquals(List.of("acc", "top_k_categorical_accuracy", "f1_score", "auc"), m.metrics());
            History h = m.fit(X, Y, new FitOptions().epochs(1).batchSize(32).validationSplit(0.25).verbose(0));
            assertTrue(h.history().keySet().containsAll(List.of("acc", "top_k_categorical_accuracy", "f1_score",
                    "auc", "val_acc", "val_top_k_categorical_accuracy", "val_f1_score", "val_auc")),
                    h.history().keySet().toString());
            before = m.evaluate(X, Y);
            double top2 = top2(m.predict(X).toArray(), Y);
            assertTrue(top2 > before.get("acc") && top2 < 1, "top-2 " + top2 + " separates k=2 from k=5 and top-1 "
                    + before.get("acc"));
            // 120 samples: the metric's mean of 0/1 hits and the count here agree to rounding.
            assertEquals(top2, before.get("top_k_categorical_accuracy"), 1e-12);
            assertEquals(before, m.evaluate(X, Y), "each evaluate starts from fresh metric state");
            m.save(file);
        }
        String config = ModelFile.read(file).configJson();
        @SuppressWarnings("unchecked")
        List<Object> saved = (List<Object>) ((Map<String, Object>) ((Map<String, Object>) Json.parse(config))
                .get("compile")).get("metrics");
        assertEquals("acc", saved.get(0));
        @SuppressWarnings("unchecked")
        Map<String, Object> topK = (Map<String, Object>) saved.get(1);
        assertEquals("TopKCategoricalAccuracy", topK.get("class_name"));
        assertEquals(2, ((Number) ((Map<?, ?>) topK.get("config")).get("k")).intValue());
        assertEquals("macro", ((Map<?, ?>) ((Map<?, ?>) saved.get(2)).get("config")).get("average"));
        assertEquals(50, ((Number) ((Map<?, ?>) ((Map<?, ?>) saved.get(3)).get("config")).get("num_thresholds"))
                .intValue());
        try (Sequential back = Sequential.load(file, cpu)) {
            assertEquals(List.of("acc", "top_k_categorical_accuracy", "f1_score", "auc"), back.metrics());
            Map<String, Double> after = back.evaluate(X, Y);
            assertEquals(before.keySet(), after.keySet());
            for (String k : before.keySet()) {
                assertEquals(before.get(k), after.get(k), 1e-12, k);
            }
        }
    }

    @Test
    void keras3ConfigsMakeTheMetricsAndUnknownOnesAreNamed() {
        // As Keras 3.15 serializes them (keras.saving.serialize_keras_object(...)["config"]).
        Metric auc = MetricConfigs.fromConfig("AUC", Map.of("name", "auc_1", "dtype", "float32", "num_thresholds", 50,
                "curve", "ROC", "summation_method", "interpolation", "multi_label", false));
        assertEquals("auc_1", auc.name());
        assertEquals(50, auc.config().get("num_thresholds"));
        Metric topK = MetricConfigs.fromConfig("SparseTopKCategoricalAccuracy", Map.of("k", 3));
        assertEquals("sparse_top_k_categorical_accuracy", topK.name());
        assertEquals(3, topK.config().get("k"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetricConfigs.fromConfig("AUC", Map.of("curve", "PR")));
        assertTrue(e.getMessage().contains("curve PR"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MetricConfigs.fromConfig("MeanIoU", Map.of()));
        assertTrue(e.getMessage().contains("MeanIoU") && e.getMessage().contains("F1Score"), e.getMessage());
    }

    /**
     * Keras 3.15's serialized metrics ({@code bench/keras/metric_configs_fixture.py}) make the metrics, which
     * serialize back to the same JSON; two differ by design: Keras's {@code Recall()} writes {@code thresholds}
     * null (meaning 0.5) where Dendrite writes 0.5, and {@code SparseTopKCategoricalAccuracy} comes back as the
     * one top-k class (it reads class-index labels as such) under the sparse name.
     */
    @Test
    @SuppressWarnings("unchecked")
    void kerasSerializedMetricsComeBackAsTheSameJson() throws IOException {
        String json;
        try (var in = MetricObjectsTest.class.getResourceAsStream("/dev/dendrite/metrics/keras_metric_configs.json")) {
            json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        List<Object> keras = (List<Object>) Json.parse(json);
        List<Object> made = MetricConfigs.fromCompileConfig(keras);
        assertEquals(10, made.size());
        for (int i = 0; i < keras.size(); i++) {
            Map<String, Object> k = (Map<String, Object>) keras.get(i);
            Object ours = MetricConfigs.toCompileConfig(made.get(i));
            Map<String, Object> cfg = (Map<String, Object>) k.get("config");
            if (k.get("class_name").equals("Recall")) {
                assertEquals(0.5, ((Map<String, Object>) ((Map<String, Object>) ours).get("config")).get("thresholds"));
            } else if (k.get("class_name").equals("SparseTopKCategoricalAccuracy")) {
                assertEquals(Json.parse(Json.write(cfg, false)),
                        Json.parse(Json.write(((Map<String, Object>) ours).get("config"), false)));
            } else {
                assertEquals(Json.parse(Json.write(k, false)), Json.parse(Json.write(ours, false)), "entry " + i);
            }
        }
    }

    @Test
    void aMetricThatCannotComeBackFromItsConfigIsRefusedAtCompile() {
        Metric custom = new Metric("mine") {
            @Override
            public void reset() {
            }

            @Override
            public void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols) {
            }

            @Override
            public double result() {
                return 0;
            }
        };
        try (Sequential m = net()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.compile(new Adam(), Loss.fromName("sparse_categorical_crossentropy"), custom));
            assertTrue(e.getMessage().contains("mine") && e.getMessage().contains("config"), e.getMessage());
        }
    }
}
