package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.LearningRateScheduler;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.SGD;
import dev.dendrite.optimizers.schedules.CosineDecay;
import dev.dendrite.optimizers.schedules.CosineDecayRestarts;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * The optimizer options through {@link Sequential#fit} on one backend, each against a run that computes the same
 * thing another way (the step is recorded and replayed from the second step of each fit on, so these also check
 * that the options replay):
 * <ul>
 *   <li>a schedule computed on the device gives the losses and weights of a run whose rate is computed on the host
 *       and set before each step (one step per epoch, {@link LearningRateScheduler});</li>
 *   <li>gradient accumulation over 2 half batches trains as one step on the whole batch, for SGD and for Adam
 *       (whose t counts applied updates, as in Keras);</li>
 *   <li>{@code use_ema} with momentum 1 ends fit with the weights of the first step (Keras's average starts as the
 *       weights at iteration 0 and, with momentum 1, never moves; fit ends by writing it over the weights).</li>
 * </ul>
 * Tolerances: runs that differ only in where a float rate is computed agree to {@code 1e-5} relative (the device's
 * {@code cos} against Java's, a few ulps, through 8 Adam steps); accumulation sums two half-batch means instead of one
 * mean, a few float roundings per gradient, {@code 1e-5} absolute on weights of order 0.1-1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OptimizerOptionsTrainingTest {
    /** The backend under test; may skip (Assumptions) saying why it cannot run here. */
    protected abstract Backend createBackend();

    private Backend backend;
    private Tensor x;
    private int[] labels;

    @BeforeAll
    final void setUp() {
        backend = createBackend();
        Random r = new Random(11);
        float[][] rows = new float[64][4];
        labels = new int[64];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < 4; j++) {
                rows[i][j] = (float) r.nextGaussian();
            }
            labels[i] = (rows[i][0] + rows[i][1] > 0 ? 1 : 0) + (rows[i][2] > 0.5 ? 1 : 0);
        }
        x = Tensor.of(rows);
    }

    @AfterAll
    final void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    private record Run(History history, List<float[]> weights) {
    }

    private Run train(Optimizer optimizer, int batchSize, int epochs, Callback... callbacks) {
        try (Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new Dense(3, "softmax"))
                .backend(backend).seed(5)) {
            m.compile(optimizer, new SparseCategoricalCrossentropy(), "accuracy");
            History h = m.fit(x, labels, new FitOptions().batchSize(batchSize).epochs(epochs).shuffle(false).verbose(0)
                    .seed(3).callbacks(callbacks));
            return new Run(h, m.getWeights());
        }
    }

    private static void assertWeightsClose(Run expected, Run actual, double rtol, double atol, String what) {
        assertEquals(expected.weights().size(), actual.weights().size());
        for (int i = 0; i < expected.weights().size(); i++) {
            float[] e = expected.weights().get(i);
            float[] a = actual.weights().get(i);
            for (int k = 0; k < e.length; k++) {
                assertTrue(Math.abs(e[k] - a[k]) <= atol + rtol * Math.abs(e[k]),
                        what + ": weight " + i + "[" + k + "] " + a[k] + ", expected " + e[k]);
            }
        }
    }

    private static void assertListClose(List<Double> expected, List<Double> actual, double rtol, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.get(i);
            assertTrue(Math.abs(e - actual.get(i)) <= rtol * Math.abs(e), what + " at epoch " + i + ": "
                    + actual.get(i) + ", expected " + e);
        }
    }

    @Test
    void aScheduleOnTheDeviceTrainsAsRatesSetFromTheHost() {
        Supplier<LearningRateSchedule> schedule = () -> new CosineDecay(0.001, 5, 0.1, 0.05, 3);
        int epochs = 8; // one step per epoch: the warm-up, the decay and the floor
        Run device = train(new Adam(schedule.get()), 64, epochs);
        LearningRateSchedule s = schedule.get();
        Run host = train(new Adam(), 64, epochs, new LearningRateScheduler((epoch, lr) -> s.valueAt(epoch)));
        assertListClose(host.history().get("loss"), device.history().get("loss"), 1e-5, "loss");
        assertWeightsClose(host, device, 1e-5, 1e-7, "weights");
        List<Double> rateAtEnd = new ArrayList<>();
        List<Double> rateSet = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            rateAtEnd.add(s.valueAt(e + 1)); // Keras logs optimizer.learning_rate, the schedule at iterations
            rateSet.add(s.valueAt(e));
        }
        assertEquals(rateAtEnd, device.history().get("learning_rate"));
        assertEquals(rateSet, host.history().get("learning_rate"));
        assertTrue(rateSet.get(3) > 0.04 && rateSet.get(7) < 0.01, "the schedule rises then decays: " + rateSet);
    }

    @Test
    void accumulatingTwoHalfBatchesIsOneStepOnTheWholeBatch() {
        Supplier<List<Optimizer>> optimizers = () -> List.of(new SGD(0.3, 0.9), new Adam(0.01));
        for (int i = 0; i < 2; i++) {
            Optimizer whole = optimizers.get().get(i);
            Optimizer halves = optimizers.get().get(i);
            halves.options().gradientAccumulationSteps(2);
            Run expected = train(whole, 64, 3);
            Run actual = train(halves, 32, 3);
            assertWeightsClose(expected, actual, 0, 1e-5, whole.name() + " with accumulation");
        }
        // ... and differs from two plain half-batch steps, so the comparison can fail.
        Run plain = train(new SGD(0.3, 0.9), 32, 3);
        Run whole = train(new SGD(0.3, 0.9), 64, 3);
        double diff = 0;
        for (int k = 0; k < plain.weights().get(0).length; k++) {
            diff = Math.max(diff, Math.abs(plain.weights().get(0)[k] - whole.weights().get(0)[k]));
        }
        assertTrue(diff > 1e-3, "plain half batches differ by only " + diff);
    }

    @Test
    void emaWithMomentumOneEndsWithTheFirstStepsWeights() {
        Run first = train(new Adam(0.05), 64, 1);
        Adam ema = new Adam(0.05);
        ema.options().useEma(true).emaMomentum(1.0);
        Run run = train(ema, 64, 4);
        for (int i = 0; i < first.weights().size(); i++) {
            assertArrayEquals(first.weights().get(i), run.weights().get(i), "weight " + i);
        }
        Run noEma = train(new Adam(0.05), 64, 4);
        assertTrue(noEma.weights().get(0)[0] != first.weights().get(0)[0], "4 steps moved the weights");
    }

    @Test
    void theModelFileKeepsTheScheduleAndTheOptions(@TempDir Path dir) throws IOException {
        Adam adam = new Adam(new CosineDecayRestarts(0.01, 20, 1.5, 0.8, 0.1));
        adam.options().useEma(true).emaMomentum(0.95).emaOverwriteFrequency(7).gradientAccumulationSteps(3);
        Path file = dir.resolve("m.dendrite");
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(backend)) {
            m.compile(adam, new SparseCategoricalCrossentropy(), "accuracy");
            m.save(file);
        }
        assertTrue(Files.size(file) > 0);
        try (Sequential loaded = Sequential.load(file, backend)) {
            assertEquals(adam.config(), loaded.optimizer().config());
            assertEquals(adam.learningRateAt(33), loaded.optimizer().learningRateAt(33));
            assertEquals("CosineDecayRestarts", loaded.optimizer().learningRateSchedule().className());
        }
        SGD sgd = new SGD(0.1);
        sgd.options().decay(0.01);
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(backend)) {
            m.compile(sgd, new SparseCategoricalCrossentropy(), "accuracy");
            m.save(file);
        }
        try (Sequential loaded = Sequential.load(file, backend)) {
            assertEquals(0.01, loaded.optimizer().options().decay());
            assertEquals(0.1 / (1 + 0.01 * 10), loaded.optimizer().learningRateAt(10), 1e-8);
        }
    }
}
