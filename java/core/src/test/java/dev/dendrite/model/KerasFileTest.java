package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.LeakyReLU;
import dev.dendrite.layers.Normalization;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.regularizers.Regularizer;

/**
 * Keras 3's own files, as Keras wrote them ({@code bench/keras/keras_file_fixture.py}: Keras 3.15 on JAX, h5py
 * 3.16): {@link Sequential#load} of a {@code .keras} file gives Keras's layers, weights (bit for bit), compile
 * configuration, predictions and evaluation; {@link Sequential#loadWeights} reads its {@code .weights.h5}; what
 * Dendrite cannot represent is refused by name. Tolerances: predictions 2e-6 (softmax outputs after four float32
 * layers summed in another order: a few ulps of values below 1), the evaluated loss 1e-5 relative.
 */
class KerasFileTest extends CpuModelTestBase {
    private static Map<String, Object> fixture;

    @BeforeAll
    static void readFixture() throws IOException {
        fixture = KerasFixtures.load(KerasFileTest.class, "keras-model.json", "bench/keras/keras_file_fixture.py");
    }

    private static Path copy(Path dir, String resource) throws IOException {
        return KerasFixtures.copy(KerasFileTest.class, dir, resource);
    }

    private static Tensor x() {
        return Tensor.wrap(KerasFixtures.floats(fixture.get("x")), 40, 6);
    }

    @SuppressWarnings("unchecked")
    private static List<float[]> kerasWeights() {
        List<float[]> w = new ArrayList<>();
        for (Object o : (List<Object>) fixture.get("weights")) {
            w.add(KerasFixtures.floats(o));
        }
        w.remove(2); // Normalization's count, which Keras keeps beside its mean and variance
        return w;
    }

    private static void assertWeights(List<float[]> expected, List<float[]> got) {
        assertEquals(expected.size(), got.size(), "weights");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), got.get(i), "weight " + i);
        }
    }

    private static void assertClose(float[] expected, float[] got, double tolerance, String what) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], tolerance, what + " " + i);
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void aKerasModelFileLoadsWithItsLayersWeightsAndCompileConfiguration(@TempDir Path dir) throws IOException {
        try (Sequential m = Sequential.load(copy(dir, "keras-model.keras"), cpu)) {
            assertEquals("course_model", m.name());
            List<String> names = new ArrayList<>();
            for (Layer l : m.layers()) {
                if (!(l instanceof Input)) {
                    names.add(l.name());
                }
            }
            assertEquals(fixture.get("layer_names"), names);
            assertWeights(kerasWeights(), m.getWeights());
            assertClose(KerasFixtures.floats(fixture.get("predictions")), m.predict(x()).toArray(), 2e-6,
                    "prediction");
            assertEquals("adam", m.optimizer().name());
            assertEquals(0.01, m.learningRate(), 1e-9, "Adam(0.01), float32 in Keras's file");
            assertEquals("sparse_categorical_crossentropy", m.loss().name());
            Map<String, Double> eval = m.evaluate(x(), KerasFixtures.ints(fixture.get("y")), 40);
            double loss = ((Number) fixture.get("loss")).doubleValue();
            assertEquals(loss, eval.get("loss"), 1e-5 * loss, "Keras's evaluate, the L2 penalty included");
            assertEquals(((Number) fixture.get("accuracy")).doubleValue(), eval.get("accuracy"), 1e-7,
                    "18 of 40: Keras's float32 0.45");
            History h = m.fit(x(), KerasFixtures.ints(fixture.get("y")), new FitOptions().batchSize(8).epochs(2)
                    .verbose(0));
            assertTrue(h.history().get("loss").get(1) < h.history().get("loss").get(0) * 1.5,
                    "it trains on: " + h.history().get("loss"));
            Path saved = dir.resolve("resaved.safetensors");
            m.save(saved);
            try (Sequential again = Sequential.load(saved, cpu)) {
                assertArrayEquals(m.predict(x()).toArray(), again.predict(x()).toArray(), "Dendrite's own file");
            }
        }
    }

    /** The same weights from Keras's save_weights, into the same model built here. */
    @Test
    void aKerasWeightsFileLoadsIntoTheSameModelBuiltHere(@TempDir Path dir) throws IOException {
        Layer[] layers = {new Input(6), new Normalization(),
            new Dense(8, "relu").kernelRegularizer(Regularizer.l2(0.01)), new BatchNormalization(), new Dropout(0.2),
            new Dense(8), new LeakyReLU(0.1), new Dense(8, "selu"), new Activation("tanh"), new Dense(3, "softmax")};
        try (Sequential m = new Sequential(layers).backend(cpu)) {
            m.build(6);
            m.loadWeights(copy(dir, "keras-model.weights.h5"));
            assertWeights(kerasWeights(), m.getWeights());
            assertClose(KerasFixtures.floats(fixture.get("predictions")), m.predict(x()).toArray(), 2e-6,
                    "prediction");
        }
    }

    /**
     * A file saved with Adam's state after 2 epochs, trained one more epoch here (batch 8, in order), ends where
     * Keras's third epoch ended: the step count and moments were read. Tolerance: KerasFixtures's
     * {@code 2e-5 + 1e-4 |w|} for a few float32 steps summed in another order. Restarted with a fresh Adam, the
     * weights land more than 1e-3 away (Adam's first steps are full-size), so the check can fail.
     */
    @SuppressWarnings("unchecked")
    @Test
    void adamsStateIsReadSoTrainingGoesOnAsInKeras(@TempDir Path dir) throws IOException {
        List<float[]> expected = new ArrayList<>();
        for (Object o : (List<Object>) fixture.get("resumed_weights")) {
            expected.add(KerasFixtures.floats(o));
        }
        int[] y = KerasFixtures.ints(fixture.get("y"));
        FitOptions oneEpoch = new FitOptions().batchSize(8).epochs(1).shuffle(false).verbose(0);
        Path file = copy(dir, "keras-adam-resume.keras");
        double fresh = 0;
        for (boolean resumed : new boolean[] {true, false}) {
            try (Sequential m = Sequential.load(file, cpu)) {
                if (!resumed) {
                    m.compile(new Adam(0.01), "sparse_categorical_crossentropy");
                }
                m.fit(x(), y, oneEpoch);
                List<float[]> got = m.getWeights();
                assertEquals(expected.size(), got.size());
                for (int i = 0; i < got.size(); i++) {
                    for (int j = 0; j < got.get(i).length; j++) {
                        float e = expected.get(i)[j];
                        float g = got.get(i)[j];
                        if (resumed) {
                            assertEquals(e, g, 2e-5 + 1e-4 * Math.abs(e), "weight " + i + "[" + j + "]");
                        }
                        fresh = Math.max(fresh, Math.abs(e - g));
                    }
                }
            }
        }
        assertTrue(fresh > 1e-3, "with a fresh Adam the weights differ by " + fresh);
    }

    /**
     * SGD's momentum, RMSprop's three slots, Adagrad's accumulators, the two of Adadelta, Adamax, Nadam, Lamb and
     * Ftrl, Lion's momentum, amsgrad's third: read from Keras's
     * layout ({@code bench/keras/keras_optimizer_state_fixture.py}), in a {@code .keras} file and in Keras 3's legacy
     * {@code .h5}, so one more epoch here ends where Keras's ends (same tolerance as Adam's), and with a fresh
     * optimizer it does not.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sgd-momentum.keras", "rmsprop-centered-momentum.keras", "adagrad.keras",
        "adadelta.keras", "adamax.keras", "adam-amsgrad.keras", "nadam.keras", "lion.keras", "lamb.keras",
        "ftrl.keras", "sgd-momentum.h5", "rmsprop-centered-momentum.h5", "adagrad.h5", "adadelta.h5", "adamax.h5"})
    @SuppressWarnings("unchecked")
    void otherRulesStateIsReadSoTrainingGoesOnAsInKeras(String fileName, @TempDir Path dir) throws IOException {
        String name = fileName.substring(0, fileName.lastIndexOf('.'));
        Map<String, Object> states = KerasFixtures.load(KerasFileTest.class, "keras-optimizer-state.json",
                "bench/keras/keras_optimizer_state_fixture.py");
        List<float[]> expected = new ArrayList<>();
        for (Object o : (List<Object>) ((Map<String, Object>) states.get("resumed_weights")).get(name)) {
            expected.add(KerasFixtures.floats(o));
        }
        Tensor x = Tensor.wrap(KerasFixtures.floats(states.get("x")), 40, 6);
        int[] y = KerasFixtures.ints(states.get("y"));
        Path file = copy(dir, "keras-state-" + fileName);
        double fresh = 0;
        for (boolean resumed : new boolean[] {true, false}) {
            try (Sequential m = Sequential.load(file, cpu)) {
                if (!resumed) {
                    m.compile(Optimizer.fromConfig(m.optimizer().name(), m.optimizer().config()),
                            "sparse_categorical_crossentropy");
                }
                m.fit(x, y, new FitOptions().batchSize(8).epochs(1).shuffle(false).verbose(0));
                List<float[]> got = m.getWeights();
                for (int i = 0; i < got.size(); i++) {
                    for (int j = 0; j < got.get(i).length; j++) {
                        float e = expected.get(i)[j];
                        float g = got.get(i)[j];
                        if (resumed) {
                            assertEquals(e, g, 2e-5 + 1e-4 * Math.abs(e), name + " weight " + i + "[" + j + "]");
                        }
                        fresh = Math.max(fresh, Math.abs(e - g));
                    }
                }
            }
        }
        assertTrue(fresh > 1e-3, "with a fresh " + name + " the weights differ by " + fresh);
    }

    /**
     * A model compiled and saved before its first step ({@code bench/keras/keras_untrained_fixture.py}): Keras builds
     * an optimizer's slots at its first step, so the file holds only the step count and the learning rate; it loads
     * with a fresh optimizer, and the loss's label smoothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"keras-untrained-smoothing.keras", "keras-untrained-smoothing.h5"})
    void aModelCompiledButNotTrainedLoadsWithAFreshOptimizerAndItsLoss(String name, @TempDir Path dir)
            throws IOException {
        try (Sequential m = Sequential.load(copy(dir, name), cpu)) {
            assertEquals("adam", m.optimizer().name());
            assertEquals(0.01, m.learningRate(), 1e-9);
            assertEquals(0, m.engine().stepsDone());
            assertEquals("categorical_crossentropy", m.loss().name());
            assertEquals(0.1, m.loss().labelSmoothing(), 1e-9);
            float[] y = new float[40 * 3];
            for (int i = 0; i < 40; i++) {
                y[i * 3 + i % 3] = 1f;
            }
            m.fit(x(), Tensor.wrap(y, 40, 3), new FitOptions().epochs(1).batchSize(8).verbose(0));
            assertEquals(5, m.engine().stepsDone());
        }
    }

    @Test
    void aModelBuiltWithoutAnInputReadsItsShapeFromTheBuildConfig(@TempDir Path dir) throws IOException {
        try (Sequential m = Sequential.load(copy(dir, "keras-model-no-input.keras"), cpu)) {
            assertArrayEquals(new int[] {6}, m.inputShape());
            assertEquals(null, m.optimizer(), "saved uncompiled: loaded uncompiled");
            assertClose(KerasFixtures.floats(fixture.get("no_input_predictions")), m.predict(x()).toArray(), 2e-6,
                    "prediction");
        }
    }

    @Test
    void whatDendriteCannotRepresentIsRefusedByName(@TempDir Path dir) throws IOException {
        IOException functional = assertThrows(IOException.class,
                () -> Sequential.load(copy(dir, "keras-functional.keras"), cpu));
        assertTrue(functional.getMessage().contains("a Keras Functional model; Dendrite reads Sequential models"),
                functional.getMessage());
        try (Sequential other = new Sequential(new Input(6), new Dense(5, "relu"), new Dense(3, "softmax"))
                .backend(cpu)) {
            other.build(6);
            IOException shape = assertThrows(IOException.class,
                    () -> other.loadWeights(copy(dir, "keras-model.weights.h5")));
            assertTrue(shape.getMessage().contains("layers/dense/vars/0") && shape.getMessage().contains("[6, 8]"),
                    shape.getMessage());
        }
        Path notZip = dir.resolve("broken.keras");
        Files.write(notZip, new byte[] {'P', 'K', 3, 4, 1, 2, 3});
        assertThrows(IOException.class, () -> Sequential.load(notZip, cpu));
    }

    @Test
    void groupsAreNamedAsKerasNamesThem() {
        Map<String, Integer> seen = new HashMap<>();
        assertEquals("dense", KerasFiles.group("Dense", seen));
        assertEquals("dense_1", KerasFiles.group("Dense", seen));
        assertEquals("batch_normalization", KerasFiles.group("BatchNormalization", seen));
        assertEquals("leaky_re_lu", KerasFiles.group("LeakyReLU", seen));
        assertEquals("p_re_lu", KerasFiles.group("PReLU", seen));
        assertEquals("elu", KerasFiles.group("ELU", seen));
        assertEquals("dense_2", KerasFiles.group("Dense", seen));
    }
}
