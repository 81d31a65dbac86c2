package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.metrics.Metric;
import dev.dendrite.metrics.MetricSet;
import dev.dendrite.optimizers.Adam;

/**
 * Metrics chosen and logged as Keras 3 does, in {@code fit} and {@code evaluate}: keys are the names written,
 * "accuracy" on a multi-unit sigmoid is categorical, and the values equal the metrics computed from
 * {@code predict} (MetricsKerasTest checks those against Keras itself).
 */
class MetricsFitTest extends CpuModelTestBase {

    private static Tensor randomInputs(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.wrap(v, rows, cols);
    }

    @Test
    void historyKeysAreTheNamesWrittenAndEvaluateMatchesPredict() {
        Tensor x = randomInputs(96, 5, 1);
        SplittableRandom r = new SplittableRandom(2);
        float[] t = new float[96 * 3];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextDouble() < 0.4 ? 1 : 0;
        }
        Tensor y = Tensor.wrap(t, 96, 3);
        try (Sequential m = new Sequential(new Input(5), new Dense(8, "relu"), new Dense(3, "sigmoid")).backend(cpu)) {
            m.compile("adam", "binary_crossentropy", "acc", "binary_accuracy", "precision", "AUC", "f1_score");
            History h = m.fit(x, y, new FitOptions().epochs(2).batchSize(32).verbose(0).validationSplit(0.25));
            assertEquals(List.of("loss", "acc", "binary_accuracy", "precision", "AUC", "f1_score[0]", "f1_score[1]",
                    "f1_score[2]", "val_loss", "val_acc", "val_binary_accuracy", "val_precision", "val_AUC",
                    "val_f1_score[0]", "val_f1_score[1]", "val_f1_score[2]", "learning_rate", "epoch_time_s"),
                    List.copyOf(h.history().keySet()));
            assertEquals(Map.of("verbose", 0, "epochs", 2, "steps", 3), h.params(), "Keras's history.params");
            assertEquals(List.of(0, 1), h.epoch());

            Map<String, Double> ev = m.evaluate(x, y);
            float[] p = m.predict(x).toArray();
            for (String name : List.of("acc", "binary_accuracy", "precision", "AUC")) {
                Metric metric = MetricSet.resolve(name, false, 3);
                metric.update(p, t, null, 96, 3);
                assertEquals(metric.result(), ev.get(name), 1e-6, name);
            }
            // "acc" on a three-unit sigmoid is categorical accuracy (Keras 3), not the per-output binary one
            Metric cat = new dev.dendrite.metrics.CategoricalAccuracy();
            cat.update(p, t, null, 96, 3);
            assertEquals(cat.result(), ev.get("acc"), 1e-12);
        }
    }

    @Test
    void trainingMetricsFromTheHostEqualThoseFromTheDevice() {
        // binary_accuracy with binary cross-entropy on 0/1 targets is the device's count; "accuracy" on a
        // one-unit output resolves to the same metric but computed on the host when listed second
        Tensor x = randomInputs(64, 4, 3);
        SplittableRandom r = new SplittableRandom(4);
        float[] t = new float[64];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextBoolean() ? 1 : 0;
        }
        try (Sequential m = new Sequential(new Input(4), new Dense(6, "tanh"), new Dense(1, "sigmoid")).backend(cpu)) {
            m.compile("sgd", "binary_crossentropy", "binary_accuracy", "accuracy");
            History h = m.fit(x, Tensor.wrap(t, 64, 1), new FitOptions().epochs(3).batchSize(16).verbose(0));
            for (int e = 0; e < 3; e++) {
                assertEquals(h.get("binary_accuracy").get(e), h.get("accuracy").get(e), 1e-6);
            }
        }
    }

    @Test
    void sparseLabelsWithAOneHotMetricAreRefusedAtCompile() {
        try (Sequential m = compiledSmallNet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.compile("adam", "sparse_categorical_crossentropy", "categorical_accuracy"));
            assertTrue(e.getMessage().contains("categorical_accuracy"), e.getMessage());
            m.compile("adam", "sparse_categorical_crossentropy", "acc", "sparse_top_k_categorical_accuracy");
            assertEquals(List.of("acc", "sparse_top_k_categorical_accuracy"), m.metrics());
        }
    }

    @Test
    void aRegressionLogsItsErrorMetricsAndEvaluateAgreesWithTheLoss() {
        Tensor x = randomInputs(128, 4, 3);
        float[] xs = x.toArray();
        float[] t = new float[128 * 2];
        for (int r = 0; r < 128; r++) { // two linear targets of the inputs, to fit with a linear output
            t[2 * r] = 0.5f * xs[4 * r] - xs[4 * r + 1] + 0.25f;
            t[2 * r + 1] = 2f * xs[4 * r + 2] + 0.1f * xs[4 * r + 3];
        }
        Tensor y = Tensor.wrap(t, 128, 2);
        try (Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new Dense(2)).backend(cpu)) {
            m.compile(new Adam(0.01), "mse", "mae", "RootMeanSquaredError");
            History h = m.fit(x, y, new FitOptions().epochs(20).batchSize(32).verbose(0));
            assertEquals(List.of("loss", "mae", "RootMeanSquaredError"),
                    List.copyOf(h.history().keySet()).subList(0, 3));
            assertTrue(h.last("mae") < h.history().get("mae").get(0) / 2, "the error falls: " + h.history().get("mae"));
            Map<String, Double> ev = m.evaluate(x, y);
            // With an unregularised MSE loss the loss is the mean squared error, and RMSE its root.
            assertEquals(ev.get("loss"), ev.get("RootMeanSquaredError") * ev.get("RootMeanSquaredError"),
                    1e-5 * ev.get("loss"));
            float[] p = m.predict(x).toArray();
            double mae = 0;
            for (int i = 0; i < p.length; i++) {
                mae += Math.abs((double) p[i] - t[i]);
            }
            assertEquals(mae / p.length, ev.get("mae"), 1e-6);
        }
    }
}
