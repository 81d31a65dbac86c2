package dev.dendrite.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * The new layers inside a model: trained (recorded steps included), saved and loaded with their configs,
 * statistics and the class names, listed by {@code summary()}, and refusing bad arguments with the value and
 * what was expected.
 */
class ActivationAndPreprocessingLayersTest {

    private static Tensor random(SplittableRandom rnd, int rows, int... shape) {
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] v = new float[rows * size];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextDouble() * 10 - 3);
        }
        int[] full = new int[shape.length + 1];
        full[0] = rows;
        System.arraycopy(shape, 0, full, 1, shape.length);
        return Tensor.wrap(v, full);
    }

    private static Sequential everyLayer(Tensor adaptOn) {
        return new Sequential(new Input(4, 6), new Rescaling(0.5, 1), new Normalization().adapt(adaptOn),
                new Reshape(24), new Dense(12), new ReLU().maxValue(6).negativeSlope(0.1).threshold(0.2),
                new Dense(12), new PReLU(), new LeakyReLU(), new ELU(0.5), new Reshape(3, -1), new Softmax(),
                new Flatten(), new Dense(5, "softmax"));
    }

    @Test
    void trainSaveLoadAndPredictTheSame(@TempDir Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        Tensor x = random(rnd, 64, 4, 6);
        int[] y = new int[64];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(5);
        }
        Path file = dir.resolve("all.safetensors");
        float[] before;
        String summary;
        try (CpuBackend cpu = new CpuBackend(2); Sequential model = everyLayer(x).backend(cpu)) {
            model.classNames("a", "b", "c", "d", "e");
            model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = model.fit(x, y, new FitOptions().epochs(3).batchSize(16).verbose(0));
            double first = h.history().get("loss").get(0);
            double last = h.history().get("loss").get(2);
            assertTrue(Double.isFinite(last) && last < first, "training lowers the loss: " + first + " -> " + last);
            before = model.predict(x).toArray();
            summary = model.summaryText();
            model.save(file);
        }
        for (String name : new String[] {"Rescaling", "Normalization", "Reshape", "ReLU", "PReLU", "LeakyReLU",
            "ELU", "Softmax"}) {
            assertTrue(summary.contains("(" + name + ")"), name + " in\n" + summary);
        }
        // PReLU: 12 alphas; Normalization: 6 means and 6 variances, not trainable.
        assertTrue(summary.contains("Non-trainable params: 12"), summary);
        try (CpuBackend cpu = new CpuBackend(2); Sequential loaded = Sequential.load(file, cpu)) {
            assertArrayEquals(before, loaded.predict(x).toArray(), "bit-identical predictions after loading");
            assertArrayEquals(new String[] {"a", "b", "c", "d", "e"}, loaded.classNames());
            try (Sequential again = everyLayer(x)) {
                List<Layer> a = again.layers();
                List<Layer> b = loaded.layers();
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(a.get(i).className(), b.get(i).className());
                    assertEquals(Json.write(a.get(i).config()), Json.write(b.get(i).config()),
                            "config of " + a.get(i).className());
                }
            }
        }
    }

    /**
     * A Softmax layer at the end is the output activation the cross-entropy fuses with: Dense(5) + Softmax()
     * trains exactly as Dense(5, "softmax") from the same weights.
     */
    @Test
    void aFinalSoftmaxLayerTrainsAsASoftmaxDense() {
        SplittableRandom rnd = new SplittableRandom(11);
        Tensor x = random(rnd, 32, 6);
        int[] y = new int[32];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(5);
        }
        try (CpuBackend cpu = new CpuBackend(1);
             Sequential layer = new Sequential(new Input(6), new Dense(5), new Softmax()).backend(cpu);
             Sequential fused = new Sequential(new Input(6), new Dense(5, "softmax")).backend(cpu)) {
            for (Sequential m : new Sequential[] {layer, fused}) {
                m.compile("sgd", "sparse_categorical_crossentropy");
                m.build(6);
            }
            fused.setWeights(layer.getWeights());
            FitOptions once = new FitOptions().epochs(2).batchSize(8).verbose(0);
            History a = layer.fit(x, y, once);
            History b = fused.fit(x, y, once);
            assertEquals(b.history().get("loss"), a.history().get("loss"));
            assertArrayEquals(fused.predict(x).toArray(), layer.predict(x).toArray());
        }
    }

    @Test
    void normalizationAdaptLearnsPopulationStatistics() {
        float[] v = {1, 10, 3, 20, 5, 60};
        Normalization perFeature = new Normalization().adapt(Tensor.wrap(v, 3, 2));
        Normalization global = new Normalization(null).adapt(Tensor.wrap(v, 3, 2));
        try (CpuBackend cpu = new CpuBackend(1);
             Sequential a = new Sequential(new Input(2), perFeature).backend(cpu);
             Sequential b = new Sequential(new Input(2), global).backend(cpu)) {
            a.build(2);
            b.build(2);
            // feature 0: 1, 3, 5 -> mean 3, variance 8/3; feature 1: 10, 20, 60 -> mean 30, variance 1400/3
            assertArrayEquals(new float[] {3f, 30f}, a.getWeights().get(0));
            assertArrayEquals(new float[] {8f / 3, 1400f / 3}, a.getWeights().get(1), 1e-4f);
            double mean = (1 + 10 + 3 + 20 + 5 + 60) / 6.0;
            double var = 0;
            for (float f : v) {
                var += (f - mean) * (f - mean) / 6;
            }
            assertArrayEquals(new float[] {(float) mean}, b.getWeights().get(0));
            assertArrayEquals(new float[] {(float) var}, b.getWeights().get(1), 1e-3f);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> perFeature.adapt(Tensor.wrap(v, 3, 2)));
            assertTrue(e.getMessage().contains("before the model is built"), e.getMessage());
        }
    }

    @Test
    void badArgumentsNameTheValueAndTheExpectation() {
        expect(() -> new LeakyReLU(-0.5), "LeakyReLU negative_slope -0.5", "expected");
        expect(() -> new ReLU().maxValue(-2), "ReLU max_value -2.0", "expected a finite value >= 0");
        expect(() -> new ReLU().threshold(Double.NaN), "ReLU threshold NaN", "expected");
        expect(() -> new ELU(Double.POSITIVE_INFINITY), "ELU alpha Infinity", "finite");
        expect(() -> new Softmax(1), "Softmax axis 1", "expected -1");
        expect(() -> new Reshape(2, -1, -1), "[2, -1, -1]", "at most one");
        expect(() -> new Rescaling(Double.NaN), "Rescaling scale NaN", "finite");
        expect(() -> new Normalization(0), "Normalization axis 0", "expected -1 or null");
        expect(() -> new Normalization(-1, new double[] {1, 2}, new double[] {1}), "2 values", "variance 1");
        expect(() -> new Normalization(-1, new double[] {1}, new double[] {-1}), "variance[0] -1.0", ">= 0");
        try (Sequential m = new Sequential(new Input(24), new Reshape(5, 5))) {
            expect(() -> m.build(24), "(None, 24) (24 values) into [5, 5]", "holding 24 values");
        }
        expect(() -> Layers.fromConfig("Normalization", "n", java.util.Map.of("invert", true, "axis", List.of(-1))),
                "invert true", "expected false");
        expect(() -> Layers.fromConfig("PReLU", "p", java.util.Map.of("shared_axes", List.of(1))),
                "shared_axes [1]", "expected null");
    }

    private static void expect(Executable call, String... parts) {
        RuntimeException e = assertThrows(RuntimeException.class, call::run);
        String all = e.getMessage() + (e.getCause() == null ? "" : " / " + e.getCause().getMessage());
        for (String p : parts) {
            assertTrue(all.contains(p), "'" + p + "' in: " + all);
        }
    }

    @FunctionalInterface
    private interface Executable {
        void run() throws Exception;
    }
}
