package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;

/**
 * Keras's legacy HDF5 model files ({@code model.save("m.h5")}, {@code bench/keras/keras_legacy_h5_fixture.py}): one
 * written by Keras 3.15 itself, one in tf.keras 2.x's layout (built with h5py: Keras 2 is not installed here), both
 * of the same weights. {@link Sequential#load} gives the layers, the compile configuration and Keras's predictions
 * (2e-6, as for {@code .keras} files: {@link KerasFileTest}), also from the layout of TensorFlow before 2.4, whose
 * config has no InputLayer; {@link Sequential#loadWeights} matches the file's
 * layers to the model's by order, as Keras does in this format, whatever their names.
 */
class KerasLegacyFileTest extends CpuModelTestBase {
    private static Map<String, Object> fixture;

    @BeforeAll
    static void readFixture() throws IOException {
        fixture = KerasFixtures.load(KerasLegacyFileTest.class, "keras-legacy.json",
                "bench/keras/keras_legacy_h5_fixture.py");
    }

    private static Path copy(Path dir, String resource) throws IOException {
        return KerasFixtures.copy(KerasLegacyFileTest.class, dir, resource);
    }

    private static Tensor x() {
        return Tensor.wrap(KerasFixtures.floats(fixture.get("x")), 20, 6);
    }

    private static void assertPredictions(Sequential m) {
        float[] expected = KerasFixtures.floats(fixture.get("predictions"));
        float[] got = m.predict(x()).toArray();
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 2e-6, "prediction " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"keras3-legacy-model.h5", "keras2-model.h5", "keras2-model-no-input-layer.h5"})
    void aLegacyModelFileLoadsWithItsLayersCompileConfigurationAndPredictions(String name, @TempDir Path dir)
            throws IOException {
        try (Sequential m = Sequential.load(copy(dir, name), cpu)) {
            List<String> layers = List.of("Dense", "BatchNormalization", "Dropout", "Dense");
            if (!name.contains("no-input-layer")) { // else the first Dense's batch_input_shape gives the input's
                layers = java.util.stream.Stream.concat(java.util.stream.Stream.of("InputLayer"), layers.stream())
                        .toList();
            }
            assertEquals(layers, m.layers().stream().map(l -> l.className()).toList());
            assertArrayEquals(new int[] {6}, m.inputShape());
            assertEquals("adam", m.optimizer().name());
            assertEquals(0.01, m.optimizer().learningRate(), 1e-9);
            assertEquals("sparse_categorical_crossentropy", m.loss().name());
            assertEquals(List.of("accuracy"), m.metrics());
            assertPredictions(m);
            Path again = dir.resolve("again.keras"); // and on into Keras 3's format
            m.save(again);
            try (Sequential back = Sequential.load(again, cpu)) {
                assertPredictions(back);
            }
        }
    }

    @Test
    void weightsLoadByLayerOrderWhateverTheLayersAreNamed(@TempDir Path dir) throws IOException {
        Path file = copy(dir, "keras2-model.h5");
        try (Sequential m = new Sequential(new Input(6), new Dense(8, "relu").named("hidden"),
                new BatchNormalization().named("bn"), new Dropout(0.2), new Dense(3, "softmax").named("out"))
                .backend(cpu)) {
            m.build(6);
            m.loadWeights(file);
            assertPredictions(m);
        }
        try (Sequential other = new Sequential(new Input(6), new Dense(8, "relu"), new Dense(3, "softmax"))
                .backend(cpu)) {
            other.build(6);
            IOException e = assertThrows(IOException.class, () -> other.loadWeights(file));
            assertTrue(e.getMessage().contains("holds weights for 3 layers [dense, batch_normalization, dense_1]")
                    && e.getMessage().contains("the model has 2 layers with weights"), e.getMessage());
        }
    }

    @Test
    void aKeras2OptimizersDecayIsRefusedRatherThanDropped() {
        Map<String, Object> training = Map.of("loss", "mse", "optimizer_config",
                Map.of("class_name", "SGD", "config", Map.of("learning_rate", 0.1, "decay", 0.01)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KerasLegacyFiles.compileConfig(training));
        assertTrue(e.getMessage().contains("decay 0.01") && e.getMessage().contains("InverseTimeDecay"),
                e.getMessage());
        Map<String, Object> none = Map.of("loss", "mse", "optimizer_config",
                Map.of("class_name", "Custom>SGD", "config", Map.of("learning_rate", 0.1, "decay", 0.0)));
        assertEquals("SGD", ((Map<?, ?>) KerasLegacyFiles.compileConfig(none).get("optimizer")).get("class_name"));
    }

    @Test
    void aWeightsOnlyHdf5FileIsNotAModel(@TempDir Path dir) throws IOException {
        Path weights = copy(dir, "keras-model.weights.h5"); // Keras 3's save_weights: no model_config
        IOException e = assertThrows(IOException.class, () -> Sequential.load(weights, cpu));
        assertTrue(e.getMessage().contains("without a model_config attribute")
                && e.getMessage().contains("loadWeights"), e.getMessage());
    }
}
