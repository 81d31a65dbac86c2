package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;

/**
 * {@link EvaluateOptions} and {@link PredictOptions} (Keras's {@code evaluate} and {@code predict} arguments) and the
 * evaluation hooks' contract on a real model; the hooks' order and logs against Keras are in
 * {@code KerasCallbackEventsTest}.
 */
class InferenceOptionsTest extends CpuModelTestBase {
    private static Sequential trained(Object[] d) {
        Sequential m = new Sequential(new Input(4), new Dense(8, "relu"), new Dense(3, "softmax")).backend(cpu);
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(2).verbose(0));
        return m;
    }

    @Test
    void stepsReadTheFirstBatchesOfArrays() {
        Object[] d = SequentialTest.blobs(100, 3);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = trained(d)) {
            Map<String, Double> two = m.evaluate(x, y, new EvaluateOptions().batchSize(30).steps(2));
            Map<String, Double> first60 = m.evaluate(x.rows(0, 60), Arrays.copyOf(y, 60));
            assertEquals(first60.get("loss"), two.get("loss"), 1e-6 * first60.get("loss"));
            assertEquals(first60.get("accuracy"), two.get("accuracy"), 1e-12);
            float[] p = m.predict(x, new PredictOptions().batchSize(30).steps(4)).toArray();
            assertArrayEquals(m.predict(x).toArray(), p, "4 batches of 30 hold all 100 rows");
            assertEquals(90 * 3, m.predict(x, new PredictOptions().batchSize(45).steps(2)).toArray().length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.evaluate(x, y, new EvaluateOptions().batchSize(30).steps(5)));
            assertTrue(e.getMessage().contains("evaluate steps 5 but x holds only 4 batches of 30"), e.getMessage());
        }
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertThrows(IllegalArgumentException.class, () -> new EvaluateOptions().batchSize(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PredictOptions().steps(0));
        assertTrue(e.getMessage().contains("steps 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EvaluateOptions().verbose(3));
        assertTrue(e.getMessage().contains("verbose 3; expected 0, 1 or 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new EvaluateOptions().sampleWeight(new float[] {1, Float.NaN}));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FitOptions().validationBatchSize(0));

        Object[] d = SequentialTest.blobs(40, 3);
        try (Sequential m = trained(d)) {
            AtomicInteger closes = new AtomicInteger();
            DataSource source = closing(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0), closes);
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.evaluate(source, new EvaluateOptions().batchSize(10)));
            assertTrue(e.getMessage().contains("batchSize 10 applies to arrays only"), e.getMessage());
            assertEquals(1, closes.get(), "the source is closed when refused");
            e = assertThrows(IllegalArgumentException.class, () -> m.evaluate(
                    closing(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0), closes),
                    new EvaluateOptions().sampleWeight(new float[40])));
            assertTrue(e.getMessage().contains("sampleWeight applies to arrays only"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.predict(
                    closing(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0), closes),
                    new PredictOptions().batchSize(5)));
            assertTrue(e.getMessage().contains("predict(source, options)"), e.getMessage());
            assertEquals(3, closes.get());
        }
    }

    private static DataSource closing(DataSource inner, AtomicInteger closes) {
        return new DataSource() {
            @Override
            public int batchesPerEpoch() {
                return inner.batchesPerEpoch();
            }

            @Override
            public Batch batch(int index) {
                return inner.batch(index);
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
    }

    /**
     * As in Keras, what a callback puts into {@code onTestEnd}'s logs is what evaluate returns and, in fit, what the
     * epoch's {@code val_} logs hold; the callbacks get the model, and a source's batches call the same hooks.
     */
    @Test
    void onTestEndLogsAreTheResult() {
        Object[] d = SequentialTest.blobs(60, 5);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = trained(d)) {
            List<String> seen = new ArrayList<>();
            Callback marker = new Callback() {
                @Override
                public void onTestBatchEnd(int batch, Logs logs) {
                    seen.add("batch " + batch);
                }

                @Override
                public void onTestEnd(Logs logs) {
                    assertSame(m, model());
                    logs.put("marker", logs.get("loss") * 2);
                }
            };
            Map<String, Double> r = m.evaluate(x, y, new EvaluateOptions().batchSize(25).callbacks(marker));
            assertEquals(2 * r.get("loss"), r.get("marker"));
            assertEquals(List.of("batch 0", "batch 1", "batch 2"), seen);
            Map<String, Double> fromSource = m.evaluate(DataSource.of(x, y, 25, false, 0),
                    new EvaluateOptions().callbacks(marker));
            assertEquals(2 * fromSource.get("loss"), fromSource.get("marker"));
            assertEquals(r.get("loss"), fromSource.get("loss"), 1e-6 * r.get("loss"));
            History h = m.fit(x, y, new FitOptions().epochs(1).verbose(0).validationData(x, y).callbacks(marker));
            assertEquals(2 * h.get("val_loss").get(0), h.get("val_marker").get(0), 1e-12);
        }
    }

    /**
     * A metric computed on the host (the mean absolute error) is fed each evaluation batch's outputs as the pass
     * runs: the running value at each batch's end is the mean over the batches so far, computed here in double from
     * predict's outputs (to 1e-6: the metric sums float32 terms of about 0.3), and the last is the result.
     */
    @Test
    void hostMetricsRunInTheBatchLogs() {
        Object[] d = SequentialTest.blobs(70, 9);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        Tensor oneHot = Labels.oneHot(y, 3);
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(cpu)) {
            m.compile("adam", "categorical_crossentropy", "mae");
            m.fit(x, oneHot, new FitOptions().epochs(1).verbose(0));
            float[] p = m.predict(x).toArray();
            List<Double> running = new ArrayList<>();
            Callback reader = new Callback() {
                @Override
                public void onTestBatchEnd(int batch, Logs logs) {
                    running.add(logs.get("mae"));
                }
            };
            Map<String, Double> r = m.evaluate(x, oneHot, new EvaluateOptions().batchSize(20).callbacks(reader));
            double sum = 0;
            for (int i = 0; i < 70; i++) {
                double row = 0;
                for (int c = 0; c < 3; c++) {
                    row += Math.abs(p[i * 3 + c] - (y[i] == c ? 1.0 : 0.0));
                }
                sum += row / 3;
                if (i % 20 == 19 || i == 69) {
                    assertEquals(sum / (i + 1), running.get(i / 20), 1e-6, "after row " + i);
                }
            }
            assertEquals(4, running.size());
            assertEquals(running.get(3), r.get("mae"), 1e-12);
        }
    }

    /**
     * A pass's hooks run between its batches, which share the model's evaluation state: evaluate, predict or a
     * training step from there is refused by name (it would reset the pass's sums and gather position midway), and
     * the model works as before afterwards; from onTestEnd it is allowed.
     */
    @Test
    void nestedPassesAreRefusedByName() {
        Object[] d = SequentialTest.blobs(90, 4);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = trained(d)) {
            Map<String, Double> before = m.evaluate(x, y, new EvaluateOptions().batchSize(20));
            Callback nested = new Callback() {
                @Override
                public void onTestBatchEnd(int batch, Logs logs) {
                    m.predict(x);
                }
            };
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.evaluate(x, y, new EvaluateOptions().batchSize(20).callbacks(nested)));
            assertTrue(e.getMessage().startsWith("predict was called during an evaluation or prediction pass"),
                    e.getMessage());
            Callback training = new Callback() {
                @Override
                public void onPredictBatchEnd(int batch, Logs logs) {
                    m.trainOnBatch(x, y);
                }
            };
            e = assertThrows(IllegalStateException.class,
                    () -> m.predict(x, new PredictOptions().batchSize(20).callbacks(training)));
            assertTrue(e.getMessage().startsWith("a training step was called during"), e.getMessage());
            assertEquals(before, m.evaluate(x, y, new EvaluateOptions().batchSize(20)), "the model is as before");
            double[] atEnd = new double[1];
            Callback afterwards = new Callback() {
                @Override
                public void onTestEnd(Logs logs) {
                    atEnd[0] = m.evaluate(x, y).get("loss");
                }
            };
            Map<String, Double> r = m.evaluate(x, y, new EvaluateOptions().batchSize(20).callbacks(afterwards));
            assertEquals(r.get("loss"), atEnd[0], 1e-6 * r.get("loss"));
        }
    }

    /** Keras's older onBatchBegin/onBatchEnd hear the training batches alone, as Keras 3's on_batch_* do. */
    @Test
    void onBatchHooksAreTheTrainingBatches() {
        Object[] d = SequentialTest.blobs(30, 6);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = trained(d)) {
            List<String> seen = new ArrayList<>();
            Callback old = new Callback() {
                @Override
                public void onBatchBegin(int batch, Logs logs) {
                    seen.add("begin " + batch);
                }

                @Override
                public void onBatchEnd(int batch, Logs logs) {
                    seen.add("end " + batch + " loss " + logs.has("loss"));
                }
            };
            m.fit(x, y, new FitOptions().batchSize(10).epochs(1).verbose(0).validationData(x, y)
                    .validationBatchSize(10).callbacks(old));
            m.evaluate(x, y, new EvaluateOptions().batchSize(10).callbacks(old));
            m.predict(x, new PredictOptions().batchSize(10).callbacks(old));
            assertEquals(List.of("begin 0", "end 0 loss true", "begin 1", "end 1 loss true", "begin 2",
                    "end 2 loss true"), seen);
        }
    }

    /**
     * Keras's {@code stop_evaluating} and {@code stop_predicting}: a callback that stops a pass at batch 1's end
     * leaves the result of batches 0 and 1 (40 rows of 20-row batches), over arrays, a source, in fit's validation
     * pass, and for predict; the next pass runs whole, and a stopped source's next pass starts at its first batch.
     */
    @Test
    void callbacksStopEvaluationAndPrediction() {
        Object[] d = SequentialTest.blobs(90, 8);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = trained(d)) {
            Callback stopAtOne = new Callback() {
                @Override
                public void onTestBatchEnd(int batch, Logs logs) {
                    if (batch == 1) {
                        model().stopEvaluating();
                    }
                }

                @Override
                public void onPredictBatchEnd(int batch, Logs logs) {
                    if (batch == 1) {
                        model().stopPredicting();
                    }
                }
            };
            Map<String, Double> first40 = m.evaluate(x.rows(0, 40), Arrays.copyOf(y, 40));
            Map<String, Double> all = m.evaluate(x, y);
            Map<String, Double> stopped = m.evaluate(x, y, new EvaluateOptions().batchSize(20).callbacks(stopAtOne));
            assertEquals(first40.get("loss"), stopped.get("loss"), 1e-6 * first40.get("loss"));
            assertEquals(first40.get("accuracy"), stopped.get("accuracy"), 1e-12);
            assertEquals(all.get("loss"), m.evaluate(x, y, new EvaluateOptions().batchSize(20)).get("loss"),
                    1e-6 * all.get("loss"), "the next evaluation runs whole");
            Map<String, Double> fromSource = m.evaluate(DataSource.of(x, y, 20, false, 0),
                    new EvaluateOptions().callbacks(stopAtOne));
            assertEquals(first40.get("loss"), fromSource.get("loss"), 1e-6 * first40.get("loss"));

            Tensor p = m.predict(x, new PredictOptions().batchSize(20).callbacks(stopAtOne));
            assertEquals(40, p.rows());
            assertArrayEquals(m.predict(x.rows(0, 40)).toArray(), p.toArray());
            DataSource inputs = DataSource.of(x, (Tensor) null, 20, false, 0);
            assertEquals(40, m.predict(inputs, new PredictOptions().callbacks(stopAtOne)).rows());

            // In fit: stopped in the first epoch's validation only; the second's reads the whole source again.
            int[] epoch = {0};
            double[] secondPassFirstBatch = {Double.NaN};
            Callback firstEpochOnly = new Callback() {
                @Override
                public void onEpochEnd(int e, Logs logs) {
                    epoch[0] = e + 1;
                }

                @Override
                public void onTestBatchEnd(int batch, Logs logs) {
                    if (epoch[0] == 0 && batch == 1) {
                        model().stopEvaluating();
                    }
                    if (epoch[0] == 1 && batch == 0) {
                        secondPassFirstBatch[0] = logs.get("loss");
                    }
                }
            };
            m.setLearningRate(0);
            History h = m.fit(x, y, new FitOptions().epochs(2).verbose(0).callbacks(firstEpochOnly)
                    .validationData(DataSource.of(x, y, 20, false, 0)));
            assertEquals(first40.get("loss"), h.get("val_loss").get(0), 1e-6 * first40.get("loss"));
            assertEquals(all.get("loss"), h.get("val_loss").get(1), 1e-6 * all.get("loss"));
            double first20 = m.evaluate(x.rows(0, 20), Arrays.copyOf(y, 20)).get("loss");
            assertEquals(first20, secondPassFirstBatch[0], 1e-6 * first20, "the second pass starts at batch 0");
        }
    }
}
