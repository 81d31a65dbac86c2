package dev.dendrite.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

/**
 * Keras's {@code label_smoothing} as an argument: checked, kept in Dendrite's model file and in Keras's, absent from
 * the files of a loss without it, and a loss the metrics do not see (KerasLabelSmoothingTest checks the training
 * against Keras).
 */
class LabelSmoothingTest {

    @Test
    void aSmoothingOutsideZeroToOneIsRefusedByName() {
        for (double bad : new double[] {-0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new CategoricalCrossentropy(false, bad));
            assertEquals("categorical_crossentropy label_smoothing " + bad
                    + "; expected a value in [0, 1] (0: none; 0.1 is common)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new BinaryCrossentropy(true, bad));
        }
        assertEquals(1.0, new BinaryCrossentropy(false, 1).labelSmoothing());
    }

    @Test
    void onlyASmoothingLossWritesTheArgumentAndKerasKValuesAreItsOwn() {
        assertTrue(new CategoricalCrossentropy().config().isEmpty(), "files of losses without it stay as they were");
        assertEquals(0.2, new CategoricalCrossentropy(true, 0.2).config().get("label_smoothing"));
        assertEquals(10, new CategoricalCrossentropy(false, 0.1).labelSmoothingClasses(10));
        assertEquals(2, new BinaryCrossentropy(false, 0.1).labelSmoothingClasses(3), "towards 1/2, as Keras");
        assertEquals(0, new SparseCategoricalCrossentropy().labelSmoothing());
    }

    @Test
    void theSmoothingTravelsInBothFileFormats(@TempDir Path dir) throws IOException {
        try (CpuBackend cpu = new CpuBackend(1)) {
            for (String file : new String[] {"m.safetensors", "m.keras"}) {
                try (Sequential m = new Sequential(new Input(3), new Dense(4)).backend(cpu)) { // logits
                    m.compile(new dev.dendrite.optimizers.Adam(), new CategoricalCrossentropy(true, 0.15));
                    m.save(dir.resolve(file));
                }
                try (Sequential loaded = Sequential.load(dir.resolve(file), cpu)) {
                    assertEquals("categorical_crossentropy", loaded.loss().name(), file);
                    assertTrue(loaded.loss().fromLogits(), file);
                    assertEquals(0.15, loaded.loss().labelSmoothing(), 1e-12, file);
                }
            }
        }
    }

    /**
     * The same weights and data with and without smoothing: the loss differs (the targets it sees are not one-hot),
     * the accuracy is the same (the metrics see the targets as given), and so is the prediction before training.
     */
    @Test
    void theMetricsSeeTheTargetsAsGiven() {
        Random r = new Random(1);
        int rows = 40;
        float[] x = new float[rows * 3];
        float[] y = new float[rows * 4];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < 3; j++) {
                x[i * 3 + j] = (float) r.nextGaussian();
            }
            y[i * 4 + r.nextInt(4)] = 1f;
        }
        try (CpuBackend cpu = new CpuBackend(1);
             Sequential plain = new Sequential(new Input(3), new Dense(4, "softmax")).backend(cpu).seed(3);
             Sequential smooth = new Sequential(new Input(3), new Dense(4, "softmax")).backend(cpu).seed(3)) {
            plain.compile(new dev.dendrite.optimizers.SGD(0.0), new CategoricalCrossentropy(), "accuracy");
            smooth.compile(new dev.dendrite.optimizers.SGD(0.0), new CategoricalCrossentropy(false, 0.4), "accuracy");
            Tensor xs = Tensor.wrap(x, rows, 3);
            Tensor ys = Tensor.wrap(y, rows, 4);
            var a = plain.evaluate(xs, ys);
            var b = smooth.evaluate(xs, ys);
            assertEquals(a.get("accuracy"), b.get("accuracy"));
            assertFalse(Math.abs(a.get("loss") - b.get("loss")) < 1e-3, a + " vs " + b);
            var ha = plain.fit(xs, ys, new FitOptions().epochs(1).batchSize(8).verbose(0));
            var hb = smooth.fit(xs, ys, new FitOptions().epochs(1).batchSize(8).verbose(0));
            assertEquals(ha.get("accuracy"), hb.get("accuracy"), "learning rate 0: the same predictions");
        }
    }
}
