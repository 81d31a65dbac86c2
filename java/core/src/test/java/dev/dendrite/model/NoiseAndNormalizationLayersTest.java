package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.ReplayBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.AlphaDropout;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.GaussianDropout;
import dev.dendrite.layers.GaussianNoise;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.LayerNormalization;
import dev.dendrite.layers.Layers;

/**
 * GaussianNoise, GaussianDropout, AlphaDropout and LayerNormalization in a model: arguments, config round trip,
 * model file, summary, identity at inference, and a recorded training step that trains exactly like steps issued
 * one by one (so the noise is drawn from the device step counter, new every step, not from a host value that a
 * replay would repeat).
 */
class NoiseAndNormalizationLayersTest extends CpuModelTestBase {
    private static Tensor data(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return Tensor.wrap(x, rows, cols);
    }

    private static int[] labels(Tensor x, int classes) {
        int[] y = new int[x.shape()[0]];
        for (int i = 0; i < y.length; i++) {
            float[] row = x.row(i);
            y[i] = Math.floorMod((int) Math.floor(2 * row[0] + row[1]), classes);
        }
        return y;
    }

    /** Every new layer between dense ones, with a two-axis LayerNormalization input. */
    private static Sequential net(Backend backend) {
        return new Sequential(new Input(12), new GaussianNoise(0.1), new Dense(16, "selu"), new AlphaDropout(0.1),
                new Dense(16), new LayerNormalization(), new GaussianDropout(0.2), new Dense(3, "softmax"))
                .backend(backend);
    }

    @Test
    void badArgumentsGetClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GaussianNoise(-0.1));
        assertTrue(e.getMessage().contains("GaussianNoise stddev -0.1") && e.getMessage().contains("[0, 1]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GaussianDropout(1));
        assertTrue(e.getMessage().contains("GaussianDropout rate 1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AlphaDropout(Double.NaN));
        assertTrue(e.getMessage().contains("AlphaDropout rate NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LayerNormalization().epsilon(0));
        assertTrue(e.getMessage().contains("epsilon 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LayerNormalization().axis(1));
        assertTrue(e.getMessage().contains("axis 1") && e.getMessage().contains("axis=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Layers.fromConfig("LayerNormalization", "ln", Map.of("axis", List.of(1, 2))));
        assertTrue(e.getMessage().contains("axis"), e.getMessage());
    }

    @Test
    void configsRoundTripThroughLayers() {
        List<Layer> layers = List.of(new GaussianNoise(0.25), new GaussianDropout(0.3), new AlphaDropout(0.05),
                new LayerNormalization().epsilon(1e-5).center(false), new LayerNormalization().scale(false));
        for (Layer l : layers) {
            Layer back = Layers.fromConfig(l.className(), "x", l.config());
            assertEquals(l.className(), back.className());
            assertEquals(l.config(), back.config(), l.className());
        }
        // Keras writes LayerNormalization's axis as a one-element list once built.
        Layer keras = Layers.fromConfig("LayerNormalization", "ln", Map.of("axis", List.of(-1), "epsilon", 0.001,
                "center", true, "scale", true));
        assertEquals(new LayerNormalization().config(), keras.config());
    }

    @Test
    void summaryCountsLayerNormalizationsParameters() {
        try (Sequential m = net(cpu)) {
            String s = m.summaryText();
            assertTrue(s.contains("gaussian_noise (GaussianNoise)"), s);
            assertTrue(s.contains("alpha_dropout (AlphaDropout)"), s);
            assertTrue(s.contains("gaussian_dropout (GaussianDropout)"), s);
            assertTrue(s.contains("layer_normalization (LayerNormalization)"), s);
            // Dense 12*16+16, 16*16+16, 16*3+3, and gamma + beta of 16.
            assertEquals(208 + 272 + 51 + 32, m.trainableParams());
            assertEquals(0, m.nonTrainableParams());
        }
        try (Sequential m = new Sequential(new Input(4, 6), new LayerNormalization()).backend(cpu)) {
            assertEquals(12, m.trainableParams(), "gamma and beta over the last axis only");
        }
    }

    @Test
    void noiseLayersAreTheIdentityAtInference() {
        Tensor x = data(50, 12, 1);
        try (Sequential m = new Sequential(new Input(12), new GaussianNoise(0.5), new GaussianDropout(0.4),
                new AlphaDropout(0.3)).backend(cpu)) {
            assertArrayEquals(x.toArray(), m.predict(x).toArray());
        }
    }

    @Test
    void layerNormalizationOverTheLastAxisOfTwoAxisSamples() {
        Tensor x = data(3, 8, 2);
        try (Sequential m = new Sequential(new Input(2, 4), new LayerNormalization()).backend(cpu)) {
            float[] y = m.predict(Tensor.wrap(x.toArray(), 3, 2, 4)).toArray();
            float[] in = x.toArray();
            for (int g = 0; g < 6; g++) {
                double mean = 0;
                for (int c = 0; c < 4; c++) {
                    mean += in[g * 4 + c] / 4.0;
                }
                double var = 0;
                for (int c = 0; c < 4; c++) {
                    var += (in[g * 4 + c] - mean) * (in[g * 4 + c] - mean) / 4;
                }
                for (int c = 0; c < 4; c++) {
                    assertEquals((in[g * 4 + c] - mean) / Math.sqrt(var + 1e-3), y[g * 4 + c], 1e-5,
                            "group " + g + " feature " + c);
                }
            }
        }
    }

    @Test
    void savedAndLoadedModelPredictsTheSame(@TempDir Path dir) throws IOException {
        Tensor x = data(64, 12, 3);
        Path file = dir.resolve("noise.safetensors");
        float[] expected;
        List<Map<String, Object>> configs;
        try (Sequential m = net(cpu)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            m.fit(x, labels(x, 3), new FitOptions().epochs(2).batchSize(16).verbose(0).seed(5));
            m.save(file);
            expected = m.predict(x).toArray();
            configs = m.layers().stream().skip(1).map(Layer::config).toList(); // the Input's shape is an int[]
        }
        try (Sequential back = Sequential.load(file, cpu)) {
            assertArrayEquals(expected, back.predict(x).toArray(), "bit-identical predictions");
            assertEquals(configs, back.layers().stream().skip(1).map(Layer::config).toList());
        }
    }

    private record Run(History history, List<float[]> weights) {
    }

    private static Run train(Backend backend, long seed) {
        Tensor x = data(200, 12, 4);
        try (Sequential m = net(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(x, labels(x, 3), new FitOptions().batchSize(32).epochs(3).verbose(0).seed(seed));
            return new Run(h, m.getWeights());
        }
    }

    @Test
    void recordedStepsDrawNewNoiseAndTrainExactlyLikeIssuedOnes() {
        Run direct = train(cpu, 9);
        Backend replay = ReplayBackend.wrap(cpu);
        Run replayed = train(replay, 9);
        assertEquals(direct.history().get("loss"), replayed.history().get("loss"));
        for (int i = 0; i < direct.weights().size(); i++) {
            assertArrayEquals(direct.weights().get(i), replayed.weights().get(i), "weight array " + i);
        }
        assertTrue(ReplayBackend.of(replay).replays() > 0, "steps were replayed");
        // The seed reaches the noise: another seed trains differently.
        Supplier<Run> other = () -> train(cpu, 10);
        assertNotEquals(direct.history().get("loss"), other.get().history().get("loss"));
    }
}
