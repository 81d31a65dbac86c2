package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.dendrite.backend.Backend;
import dev.dendrite.callbacks.LambdaCallback;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;

/**
 * {@link Sequential#call}, Keras's {@code model(x, training=...)}: in inference mode predict's outputs; in training
 * mode Dropout draws anew on every call (Monte Carlo dropout), a batch norm normalises with the batch's statistics and
 * updates its moving ones (checked against a float64 reference), a frozen one stays in inference mode, and fit's own
 * draws are left as they were. On each backend (a subclass per backend): the draws and statistics are the backend's
 * own ops of the training forward pass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class CallTest {
    private static final int ROWS = 50;
    private static final int COLS = 200;
    private Backend backend;

    /** The backend under test, created once per class. */
    protected abstract Backend createBackend();

    @BeforeAll
    final void open() {
        backend = createBackend();
    }

    @AfterAll
    final void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static Tensor gaussianInputs(int rows, long seed) {
        return CpuModelTestBase.gaussianInputs(rows, seed);
    }

    private static Tensor ones(int rows, int cols) {
        float[] v = new float[rows * cols];
        Arrays.fill(v, 1f);
        return Tensor.wrap(v, rows, cols);
    }

    @Test
    void inInferenceModeItIsPredict() {
        Tensor x = gaussianInputs(ROWS, 41);
        try (Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new Dropout(0.5),
                new BatchNormalization(), new Dense(3, "softmax")).backend(backend)) {
            assertArrayEquals(m.predict(x, ROWS).toArray(), m.call(x, false).toArray(),
                    "one batch of all rows each way");
            assertArrayEquals(m.call(x, false).toArray(), m.call(x, false).toArray());
        }
    }

    /**
     * Dropout at rate 0.5 over ones: each output is 0 or 1 / (1 - 0.5) = 2, exactly; about half are 0 (10,000 draws:
     * a standard deviation of 0.005 in the fraction, so 0.47-0.53 fails a fair generator one time in 10^9); every call
     * draws another mask; the mean of many calls nears the input (Monte Carlo dropout's average: 100 calls, a standard
     * deviation of 0.001 for the mean over all, 0.01 allowed).
     */
    @Test
    void inTrainingModeDropoutDrawsAnewOnEveryCall() {
        Tensor x = ones(ROWS, COLS);
        try (Sequential m = new Sequential(new Input(COLS), new Dropout(0.5)).backend(backend)) {
            float[] first = m.call(x, true).toArray();
            int zeros = 0;
            for (float v : first) {
                assertTrue(v == 0f || v == 2f, "a dropped or scaled one: " + v);
                zeros += v == 0f ? 1 : 0;
            }
            double dropped = zeros / (double) first.length;
            assertTrue(dropped > 0.47 && dropped < 0.53, "fraction dropped " + dropped);
            float[] second = m.call(x, true).toArray();
            assertFalse(Arrays.equals(first, second), "the second call draws another mask");
            double sum = 0;
            int calls = 100;
            for (int c = 0; c < calls; c++) {
                for (float v : m.call(x, true).toArray()) {
                    sum += v;
                }
            }
            double mean = sum / ((double) calls * first.length);
            assertEquals(1.0, mean, 0.01, "the Monte Carlo average of the outputs");
            assertArrayEquals(x.toArray(), m.call(x, false).toArray(), "inference mode passes the input through");
        }
        try (Sequential a = new Sequential(new Input(COLS), new Dropout(0.5)).backend(backend);
             Sequential b = new Sequential(new Input(COLS), new Dropout(0.5)).backend(backend)) {
            assertArrayEquals(a.call(x, true).toArray(), b.call(x, true).toArray(), "the same seed: the same draws");
            assertArrayEquals(a.call(x, true).toArray(), b.call(x, true).toArray(), "and again");
        }
    }

    /**
     * y = (x - mean) / sqrt(var + 1e-3) over the batch (gamma 1, beta 0), var the biased variance, and the moving
     * statistics after one call 0.99 * (0, 1) + 0.01 * (mean, var), as Keras 3 updates them. Tolerances: float32
     * sums over 50 rows of values near 1 (relative error about 1e-6), allowed 1e-5.
     */
    @Test
    void inTrainingModeABatchNormUsesTheBatchAndUpdatesItsMovingStatistics() {
        Random r = new Random(42);
        int cols = 3;
        float[] xv = new float[ROWS * cols];
        for (int i = 0; i < xv.length; i++) {
            xv[i] = (float) (2 + 3 * r.nextGaussian());
        }
        Tensor x = Tensor.wrap(xv, ROWS, cols);
        try (Sequential m = new Sequential(new Input(cols), new BatchNormalization()).backend(backend)) {
            float[] y = m.call(x, true).toArray();
            List<float[]> w = m.getWeights(); // gamma, beta, moving mean, moving variance
            for (int c = 0; c < cols; c++) {
                double mean = 0;
                for (int i = 0; i < ROWS; i++) {
                    mean += xv[i * cols + c];
                }
                mean /= ROWS;
                double var = 0;
                for (int i = 0; i < ROWS; i++) {
                    var += (xv[i * cols + c] - mean) * (xv[i * cols + c] - mean);
                }
                var /= ROWS;
                for (int i = 0; i < ROWS; i++) {
                    double expected = (xv[i * cols + c] - mean) / Math.sqrt(var + 1e-3);
                    assertEquals(expected, y[i * cols + c], 1e-5, "row " + i + ", column " + c);
                }
                assertEquals(0.01 * mean, w.get(2)[c], 1e-5 * Math.abs(mean), "moving mean " + c);
                assertEquals(0.99 + 0.01 * var, w.get(3)[c], 1e-5 * var, "moving variance " + c);
            }
        }
    }

    @Test
    void aFrozenBatchNormStaysInInferenceMode() {
        Tensor x = gaussianInputs(ROWS, 43);
        try (Sequential m = new Sequential(new Input(4), new BatchNormalization()).backend(backend)) {
            m.layers().get(1).setTrainable(false);
            m.compile("adam", "mse");
            List<float[]> before = m.getWeights();
            assertArrayEquals(m.call(x, false).toArray(), m.call(x, true).toArray());
            List<float[]> after = m.getWeights();
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), "weight " + i);
            }
        }
    }

    /**
     * Calls in training mode from a callback inside an epoch (after each batch, where the step after is recorded and
     * replayed) leave fit's dropout draws as they were: the same weights after as without them.
     */
    @Test
    void callsInsideFitLeaveItsDrawsAsTheyWere() {
        Tensor x = gaussianInputs(ROWS, 46);
        Tensor probe = gaussianInputs(6, 47);
        int[] y = labels();
        try (Sequential warm = dropoutNet(); Sequential a = dropoutNet(); Sequential b = dropoutNet()) {
            // A GPU backend times its product candidates on a shape's first call: chosen before either run
            warm.fit(x, y, new FitOptions().batchSize(10).epochs(1).verbose(0));
            warm.call(probe, true);
            a.fit(x, y, new FitOptions().batchSize(10).epochs(2).verbose(0));
            int[] calls = {0};
            b.fit(x, y, new FitOptions().batchSize(10).epochs(2).verbose(0).callbacks(LambdaCallback.onBatchEnd(
                    (batch, logs) -> {
                        b.call(probe, true);
                        calls[0]++;
                    })));
            assertEquals(10, calls[0]);
            List<float[]> wa = a.getWeights();
            List<float[]> wb = b.getWeights();
            for (int i = 0; i < wa.size(); i++) {
                assertArrayEquals(wa.get(i), wb.get(i), "weight " + i);
            }
        }
    }

    /** Calls in training mode between fits leave fit's dropout draws as they were: the same weights after. */
    @Test
    void callsLeaveFitsDrawsAsTheyWere() {
        Tensor x = gaussianInputs(ROWS, 44);
        int[] y = labels();
        FitOptions options = new FitOptions().batchSize(10).epochs(1).verbose(0);
        try (Sequential warm = dropoutNet(); Sequential a = dropoutNet(); Sequential b = dropoutNet()) {
            warm.fit(x, y, options); // as above
            warm.call(x, true);
            a.fit(x, y, options);
            a.fit(x, y, options);
            b.call(x, true);
            b.fit(x, y, options);
            b.call(x, true);
            b.fit(x, y, options);
            List<float[]> wa = a.getWeights();
            List<float[]> wb = b.getWeights();
            for (int i = 0; i < wa.size(); i++) {
                assertArrayEquals(wa.get(i), wb.get(i), "weight " + i);
            }
        }
    }

    private static int[] labels() {
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 3;
        }
        return y;
    }

    private Sequential dropoutNet() {
        Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new Dropout(0.3), new Dense(3, "softmax"))
                .backend(backend);
        m.compile("sgd", "sparse_categorical_crossentropy");
        return m;
    }

    @Test
    void badInputIsRefusedByName() {
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(backend)) {
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> m.call(Tensor.wrap(new float[0], 0, 4), true));
            assertTrue(empty.getMessage().contains("call needs at least one sample"), empty.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> m.call(ones(2, 5), false));
            assertTrue(shape.getMessage().contains("expects [4]"), shape.getMessage());
        }
    }
}
