package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;

/** The Keras workflow end to end on the CPU backend, on synthetic data with a known answer. */
class SequentialTest {
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    /** Three Gaussian blobs in 4 dimensions: linearly separable, so a small net must reach ~100%. */
    static Object[] blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            for (int f = 0; f < 4; f++) {
                double center = (f == y[i] ? 3 : 0);
                x[i * 4 + f] = (float) (center + 0.5 * (r.nextDouble() * 2 - 1));
            }
        }
        return new Object[] {Tensor.wrap(x, n, 4), y};
    }

    private static Sequential smallModel() {
        return new Sequential(new Input(4), new Dense(16, "relu"), new Dense(3, "softmax")).backend(cpu);
    }

    @Test
    void learnsSeparableBlobsAndReportsHistory() {
        Object[] d = blobs(600, 1);
        try (Sequential m = smallModel()) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit((Tensor) d[0], (int[]) d[1],
                    new FitOptions().batchSize(32).epochs(15).verbose(0).validationSplit(0.2));
            assertEquals(15, h.epochs().size());
            for (String k : new String[] {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate",
                "epoch_time_s"}) {
                assertEquals(15, h.get(k).size(), k);
            }
            assertTrue(h.get("loss").get(14) < h.get("loss").get(0), "loss decreases: " + h.get("loss"));
            assertTrue(h.last("val_accuracy") > 0.97, "val accuracy " + h.last("val_accuracy"));
            Object[] t = blobs(300, 2);
            Map<String, Double> test = m.evaluate((Tensor) t[0], (int[]) t[1]);
            assertTrue(test.get("accuracy") > 0.97, "test accuracy " + test);
            Tensor p = m.predict((Tensor) t[0]);
            assertArrayEquals(new int[] {300, 3}, p.shape());
            for (int r = 0; r < 300; r++) {
                double s = 0;
                for (int j = 0; j < 3; j++) {
                    s += p.get(r, j);
                }
                assertEquals(1.0, s, 1e-5, "softmax rows sum to 1");
            }
            int correct = 0;
            int[] cls = m.predictClasses((Tensor) t[0]);
            for (int r = 0; r < 300; r++) {
                correct += cls[r] == ((int[]) t[1])[r] ? 1 : 0;
            }
            assertEquals(test.get("accuracy"), correct / 300.0, 1e-6, "evaluate agrees with predict");
        }
    }

    @Test
    void validationSplitTakesTheLastFractionBeforeShuffling() {
        Object[] d = blobs(100, 3);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential a = smallModel(); Sequential b = smallModel()) {
            a.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
            b.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
            History ha = a.fit(x, y, new FitOptions().epochs(1).verbose(0).validationSplit(0.25));
            History hb = b.fit(x.rows(0, 75), java.util.Arrays.copyOfRange(y, 0, 75), new FitOptions().epochs(1)
                    .verbose(0).validationData(x.rows(75, 100), java.util.Arrays.copyOfRange(y, 75, 100)));
            assertEquals(hb.last("val_loss"), ha.last("val_loss"), 0.0, "same split, same seed, same result");
            assertEquals(hb.last("loss"), ha.last("loss"), 0.0);
        }
    }

    @Test
    void sameSeedRepeatsAndFitContinues() {
        Object[] d = blobs(200, 4);
        double[] first = new double[2];
        for (int run = 0; run < 2; run++) {
            try (Sequential m = smallModel()) {
                m.compile("adam", "sparse_categorical_crossentropy");
                first[run] = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(2).verbose(0)).last("loss");
            }
        }
        assertEquals(first[0], first[1], 0.0, "training is deterministic for a seed");
        try (Sequential m = smallModel()) {
            m.compile("adam", "sparse_categorical_crossentropy");
            double l1 = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(2).verbose(0)).last("loss");
            double l2 = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(2).verbose(0)).get("loss").get(0);
            assertTrue(l2 < l1 + 1e-3, "a second fit continues from trained weights: " + l1 + " then " + l2);
        }
    }

    @Test
    void callbacksSeeLogsAndCanStopTraining() {
        Object[] d = blobs(300, 5);
        try (Sequential m = smallModel()) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            List<Double> batchLosses = new ArrayList<>();
            int[] epochs = {0};
            Callback stopper = new Callback() {
                @Override
                public void onTrainBatchEnd(int batch, Logs logs) {
                    batchLosses.add(logs.get("loss"));
                }

                @Override
                public void onEpochEnd(int epoch, Logs logs) {
                    epochs[0]++;
                    if (logs.get("loss") <= 0.4) {
                        model().stopTraining();
                    }
                }
            };
            History h = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().batchSize(30).epochs(100).verbose(0)
                    .callbacks(stopper));
            assertTrue(h.epochs().size() < 100, "stopped early");
            assertTrue(h.last("loss") <= 0.4);
            assertEquals(epochs[0], h.epochs().size());
            assertEquals(10 * epochs[0], batchLosses.size(), "10 batches per epoch");
            assertEquals(h.get("loss").get(0), batchLosses.get(9), 1e-9, "last batch's running mean = epoch loss");
        }
    }

    @Test
    void learningRateChangesReachTheOptimizer() {
        Object[] d = blobs(100, 6);
        try (Sequential m = smallModel()) {
            m.compile("sgd", "sparse_categorical_crossentropy");
            m.setLearningRate(0.0);
            List<float[]> before = m.getWeights();
            m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(1).verbose(0));
            List<float[]> after = m.getWeights();
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), "lr 0 leaves weight " + i + " unchanged");
            }
            m.setLearningRate(0.1);
            m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(1).verbose(0));
            assertFalse(java.util.Arrays.equals(before.get(0), m.getWeights().get(0)));
            assertEquals(0.1, m.learningRate(), 1e-12);
        }
    }

    @Test
    void summaryOfTheNotebookNetwork() {
        try (Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(512, "relu"),
                new Dense(512, "relu"), new Dense(10, "softmax")).backend(cpu)) {
            String s = m.summaryText();
            assertTrue(s.contains("flatten (Flatten)") && s.contains("(None, 784)"), s);
            assertTrue(s.contains("dense (Dense)") && s.contains("401920"), s);
            assertTrue(s.contains("dense_1 (Dense)") && s.contains("262656"), s);
            assertTrue(s.contains("dense_2 (Dense)") && s.contains("5130"), s);
            assertTrue(s.contains("Total params: 669,706"), s);
            assertTrue(s.contains("Non-trainable params: 0"), s);
        }
        try (Sequential m = new Sequential(new Input(8), new Dense(4), new BatchNormalization(),
                new Dense(2, "softmax")).backend(cpu)) {
            assertEquals(36 + 8 + 10, m.trainableParams());
            assertEquals(8, m.nonTrainableParams());
            assertTrue(m.summaryText().contains("Non-trainable params: 8"));
        }
    }

    @Test
    void summaryPrintsAsKerasDoesAndItsColumnsNeverRunTogether() {
        try (Sequential m = new Sequential(new Input(784), new Dense(256), new BatchNormalization(),
                new Dense(256), new BatchNormalization(), new Dense(10, "softmax")).backend(cpu)) {
            java.io.PrintStream old = System.out;
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                m.summary();
            } finally {
                System.setOut(old);
            }
            String text = m.summaryText();
            assertEquals(text, buf.toString(java.nio.charset.StandardCharsets.UTF_8), "summary() prints the table");
            List<String> lines = text.lines().toList();
            String header = lines.stream().filter(l -> l.contains("Layer (type)")).findFirst().orElseThrow();
            int shapeColumn = header.indexOf("Output Shape");
            int paramColumn = header.indexOf("Param #");
            int rows = 0;
            for (String l : lines) {
                if (l.contains("(None, ")) {
                    rows++;
                    assertEquals(shapeColumn, l.indexOf("(None, "), "shape column of: " + l);
                    assertEquals(' ', l.charAt(shapeColumn - 1), "a blank before the shape: " + l);
                    assertTrue(Character.isDigit(l.charAt(paramColumn)) && l.charAt(paramColumn - 1) == ' ',
                            "param column of: " + l);
                }
            }
            assertEquals(5, rows, text);
            assertTrue(text.contains("batch_normalization_1 (BatchNormalization)"), text);
        }
    }

    @Test
    void saveAndLoadGiveBitIdenticalPredictions(@TempDir Path dir) throws IOException {
        Object[] d = blobs(200, 7);
        Path file = dir.resolve("model.safetensors");
        float[] expected;
        try (Sequential m = new Sequential(new Input(4), new Dense(8, "selu"), new BatchNormalization(),
                new Dropout(0.3), new Dense(3, "softmax")).backend(cpu)) {
            m.compile("rmsprop", "sparse_categorical_crossentropy", "accuracy");
            m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(2).verbose(0));
            m.metadata().put("note", "hello");
            m.save(file);
            expected = m.predict((Tensor) d[0]).toArray();
        }
        try (Sequential back = Sequential.load(file, cpu)) {
            assertArrayEquals(expected, back.predict((Tensor) d[0]).toArray(), "bit-identical predictions");
            assertEquals("rmsprop", back.optimizer().name());
            assertEquals("sparse_categorical_crossentropy", back.loss().name());
            assertEquals(List.of("accuracy"), back.metrics());
            assertEquals("hello", back.metadata().get("note"));
            assertEquals("dense", back.layers().get(1).name());
        }
    }

    @Test
    void everySeedSurvivesTheFileEvenBeyondWhatADoubleHolds(@TempDir Path dir) throws IOException {
        for (long seed : new long[] {42, (1L << 53) + 1, 4015397622329559421L, Long.MIN_VALUE, -(1L << 53)}) {
            Path file = dir.resolve("seed.safetensors");
            try (Sequential m = new Sequential(new Input(2), new Dense(1)).seed(seed).backend(cpu)) {
                m.build(2);
                m.save(file);
            }
            try (Sequential back = Sequential.load(file, cpu)) {
                assertEquals(seed, back.seed(), "JSON numbers are doubles: a larger seed is written as text");
            }
        }
    }

    @Test
    void corruptedModelFileIsRejectedClearly(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.safetensors");
        try (Sequential m = smallModel()) {
            m.compile("adam", "sparse_categorical_crossentropy");
            m.save(file);
        }
        byte[] bytes = Files.readAllBytes(file);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        IOException e = assertThrows(IOException.class, () -> Sequential.load(truncated, cpu));
        assertTrue(e.getMessage().contains("truncated.safetensors"), e.getMessage());
    }

    @Test
    void badInputGetsClearErrors() {
        Object[] d = blobs(20, 8);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = smallModel()) {
            IllegalStateException notCompiled = assertThrows(IllegalStateException.class,
                    () -> m.fit(x, y, new FitOptions().verbose(0)));
            assertTrue(notCompiled.getMessage().contains("compile"));
            m.compile("adam", "sparse_categorical_crossentropy");
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(Tensor.zeros(20, 5), y, new FitOptions().verbose(0)));
            assertTrue(shape.getMessage().contains("[5]") && shape.getMessage().contains("[4]"), shape.getMessage());
            int[] bad = y.clone();
            bad[7] = 3;
            IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(x, bad, new FitOptions().verbose(0)));
            assertTrue(label.getMessage().contains("3") && label.getMessage().contains("7"), label.getMessage());
            Tensor nan = Tensor.wrap(x.toArray(), 20, 4);
            nan.set(2, 1, Float.NaN);
            IllegalArgumentException nanErr = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(nan, y, new FitOptions().verbose(0)));
            assertTrue(nanErr.getMessage().contains("NaN"), nanErr.getMessage());
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(x, new int[19], new FitOptions().verbose(0)));
            assertTrue(rows.getMessage().contains("19") && rows.getMessage().contains("20"), rows.getMessage());
        }
        IllegalArgumentException act = assertThrows(IllegalArgumentException.class, () -> new Dense(3, "rellu"));
        assertTrue(act.getMessage().contains("'rellu'") && act.getMessage().contains("relu"));
        IllegalArgumentException loss = assertThrows(IllegalArgumentException.class,
                () -> smallModel().compile("adam", "crossentropy"));
        assertTrue(loss.getMessage().contains("'crossentropy'"));
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "relu")).backend(cpu)) {
            IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                    () -> m.compile("adam", "sparse_categorical_crossentropy"));
            assertTrue(mismatch.getMessage().contains("softmax"), mismatch.getMessage());
        }
    }

    @Test
    void byteImagesWithATransformTrainLikeFloats() {
        // The same data as raw bytes + a (1/255, 0) transform and as pre-scaled floats must train identically.
        SplittableRandom r = new SplittableRandom(9);
        byte[] px = new byte[64 * 6];
        int[] y = new int[64];
        for (int i = 0; i < 64; i++) {
            y[i] = r.nextInt(2);
            for (int f = 0; f < 6; f++) {
                px[i * 6 + f] = (byte) (y[i] == f % 2 ? 200 + r.nextInt(50) : r.nextInt(50));
            }
        }
        float[] scale = new float[6];
        float[] shift = new float[6];
        java.util.Arrays.fill(scale, 1f / 255);
        ByteTensor bytes = ByteTensor.wrap(px, 64, 6).withTransform(scale, shift);
        Tensor floats = bytes.toTensor();
        double[] loss = new double[2];
        for (int k = 0; k < 2; k++) {
            try (Sequential m = new Sequential(new Input(6), new Dense(5, "tanh"), new Dense(2, "softmax"))
                    .backend(cpu)) {
                m.compile("adam", "sparse_categorical_crossentropy");
                loss[k] = m.fit(k == 0 ? bytes : floats, y, new FitOptions().epochs(3).batchSize(16).verbose(0))
                        .last("loss");
            }
        }
        assertEquals(loss[0], loss[1], 1e-6);
        assertNotEquals(0.0, loss[0]);
    }
}
