package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.Tensor;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.losses.Loss;
import dev.dendrite.optimizers.Adagrad;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.RMSprop;
import dev.dendrite.optimizers.SGD;

/**
 * End-to-end parity of a backend with the CPU backend: the same seeded model, trained for one epoch on the same
 * Fashion-MNIST rows through {@link Sequential#fit}, must give the same per-batch losses, similar final weights,
 * the same {@link Sequential#evaluate} on the test rows and, given identical weights, the same predictions.
 * Where the op-level conformance suite checks each op alone, this checks that they compose: the layer wiring,
 * the fused and unfused loss paths, optimizer state across steps, the shuffle permutation and dropout masks
 * (both defined by Philox, so identical on every backend) and the running statistics the fit loop reports.
 *
 * <p>A backend's test class extends this and implements {@link #createBackend()} (and skips there, saying why,
 * when the backend cannot run). The CPU reference and the backend under test each get a fresh model per case.
 *
 * <p><b>Per-batch losses.</b> The fit loop reports only the running mean {@code loss} of the epoch in
 * {@code onTrainBatchEnd}; it is the device's float32 loss sum divided by the rows seen so far, so the mean
 * times the rows seen gives the running sum back, and consecutive differences give each batch's sum, hence
 * its mean loss. (The float32 running sum limits this to about {@code 2^-24 * sum / batch sum}, below 1e-5
 * relative for the sizes here.)
 *
 * <p><b>Tolerances.</b> Backends agree op by op to a few float32 roundings, but not bit for bit: GEMMs and
 * reductions associate their sums differently. Those differences feed back through the optimizer, so the two
 * trajectories drift apart step by step, slowly at first and faster later (batch normalisation and ReLU kinks
 * amplify them; Adam turns small gradient differences into update differences). The drift was measured with
 * {@link BackendParitySelfTest}, whose CPU backend perturbs every GEMM result by the typical rounding
 * difference of another summation order (PoCL's own differences from the CPU are far smaller still). Each
 * tolerance below is given with the worst value measured so in any of the four cases, on the full set and on
 * the bundled sample:
 * <ul>
 *   <li>Batch 0 sees identical weights (initialised on the host from the seed) and the same rows: its loss
 *       differs by one forward pass's rounding. {@value #FIRST_BATCH_RTOL} relative (measured 3e-6), while a
 *       wrong kernel (a wrong dropout scale, a missing bias, a transposed GEMM) is off by 1e-2 or more.</li>
 *   <li>Batches 1 to {@value #EARLY_BATCHES} - 1: {@value #EARLY_RTOL} relative (measured 7e-6); and the weights
 *       after those {@value #EARLY_BATCHES} steps within {@value #EARLY_WEIGHT_RTOL} relative L2 distance, per
 *       tensor (measured 1e-4). This is what catches subtle training bugs before drift hides them: bias
 *       gradients that miss one row of 64 are 7e-3 to 3e-2 away here.</li>
 *   <li>Every later batch: {@value #LATE_RTOL} relative (measured 1.1e-2, in the batch-norm case; 1e-3 in
 *       the others). The loss itself varies by 20-50% from batch to batch, and a backend that trains differently
 *       in substance departs by that much.</li>
 *   <li>After the epoch: every weight tensor within {@value #WEIGHT_RTOL} relative L2 distance (measured 5e-2,
 *       the first batch normalisation's beta, which starts at 0 and stays small, so that its relative
 *       distance is the most sensitive; a weight that is not trained, or trained with the wrong sign or scale,
 *       is off by order 1); training and test accuracy within {@value #ACCURACY_ATOL} (20 of 1000 test rows;
 *       measured 2e-3), test loss within {@value #LATE_RTOL} relative (measured 1e-3).</li>
 *   <li>Inference with the reference's final weights copied in, free of any drift: test loss within
 *       {@value #INFERENCE_RTOL} relative (measured 1e-6) and every output within {@value #OUTPUT_ATOL}
 *       absolute (measured 3e-5; outputs are probabilities in [0, 1] or values of order 1).</li>
 * </ul>
 * So that the comparison cannot pass vacuously, each case also checks that the model really ran on the backend
 * given, that the reference's losses are finite and vary from batch to batch, and that training learned
 * something (the last quarter's loss well below the first batch's, accuracy well above chance).
 * {@link BackendParitySelfTest} checks that the suite fails for backends with such bugs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendParityTest {
    static final double FIRST_BATCH_RTOL = 2e-5;
    static final int EARLY_BATCHES = 5;
    static final double EARLY_RTOL = 1e-4;
    static final double EARLY_WEIGHT_RTOL = 1e-3;
    static final double LATE_RTOL = 5e-2;
    static final double WEIGHT_RTOL = 0.2;
    static final double ACCURACY_ATOL = 0.02;
    static final double INFERENCE_RTOL = 2e-5;
    static final double OUTPUT_ATOL = 2e-4;

    /** Rows used: the bundled sample's full size, so that both the full set and the sample give the same sizes. */
    static final int TRAIN_ROWS = 3000;
    static final int TEST_ROWS = 1000;

    /** The backend under test; may skip (Assumptions) saying why it cannot run here. */
    protected abstract Backend createBackend();

    /** How the printed reports name this suite. */
    protected String label() {
        return getClass().getSimpleName();
    }

    private Backend backend;
    private Backend cpu;
    private ByteTensor xTrain;
    private int[] yTrain;
    private ByteTensor xTest;
    private int[] yTest;

    private static TrainTest fashionMnist;

    /** Fashion-MNIST, loaded once for every parity class of this run. */
    private static synchronized TrainTest fashionMnist() throws IOException {
        if (fashionMnist == null) {
            fashionMnist = FashionMnist.load();
        }
        return fashionMnist;
    }

    @BeforeAll
    final void open() throws IOException {
        backend = createBackend();
        cpu = new CpuBackend();
        TrainTest data = fashionMnist();
        System.out.println(label() + ": " + backend.description() + " against "
                + cpu.description() + "; data: " + data.source());
        assertTrue(data.train().size() >= TRAIN_ROWS && data.test().size() >= TEST_ROWS, data.source());
        // The sample is ordered by class; the full set is not. Either way fit's shuffle mixes the rows, and the
        // permutation is the same on every backend.
        ByteTensor trainImages = data.train().images().rows(0, TRAIN_ROWS);
        Preprocessing scale = Preprocessing.fit("scale", trainImages);
        xTrain = scale.apply(trainImages);
        yTrain = Arrays.copyOf(data.train().labels(), TRAIN_ROWS);
        xTest = scale.apply(data.test().images().rows(0, TEST_ROWS));
        yTest = Arrays.copyOf(data.test().labels(), TEST_ROWS);
    }

    @AfterAll
    final void close() {
        if (cpu != null) {
            cpu.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    // ------------------------------------------------------------------ cases

    /** The course notebook's classifier: 784-128-64-10, ReLU, softmax, Adam, batch 64. */
    @Test
    void reluSoftmaxAdam() {
        compare("784-128-64-10 relu/softmax, Adam, batch 64", 64, 0.5,
                () -> new Sequential(new Input(28, 28), new Flatten(), new Dense(128, "relu"),
                        new Dense(64, "relu"), new Dense(10, "softmax")),
                Adam::new, "sparse_categorical_crossentropy", yTrain, yTest, null, null);
    }

    /**
     * Batch normalisation (training statistics, moving averages), dropout masks, SGD with momentum. The first
     * Dense has no bias, as usual before batch normalisation: that bias's gradient is zero in exact arithmetic,
     * so it would only accumulate each backend's rounding noise and its relative distance would mean nothing.
     */
    @Test
    void batchNormDropoutSgdMomentum() {
        compare("784-128(BN, dropout 0.2)-64(BN, dropout 0.2)-10, SGD momentum 0.9, batch 32", 32, 0.5,
                () -> new Sequential(new Input(28, 28), new Flatten(),
                        new Dense(128).useBias(false), new BatchNormalization(), new Activation("relu"),
                        new Dropout(0.2),
                        new Dense(64, "tanh"), new BatchNormalization(), new Dropout(0.2),
                        new Dense(10, "softmax")),
                () -> new SGD(0.01, 0.9), "sparse_categorical_crossentropy", yTrain, yTest, null, null);
    }

    /** A sigmoid unit with binary cross-entropy: footwear (sandal, sneaker, ankle boot) or not. */
    @Test
    void sigmoidBinaryCrossentropy() {
        compare("784-32-1 elu/sigmoid, binary cross-entropy, Adagrad 0.05, batch 128", 128, 0.85,
                () -> new Sequential(new Input(28, 28), new Flatten(), new Dense(32, "elu"),
                        new Dense(1, "sigmoid")),
                () -> new Adagrad(0.05), "binary_crossentropy", null, null,
                footwear(yTrain), footwear(yTest));
    }

    /** A linear head regressing one-hot rows with mean squared error. */
    @Test
    void linearMeanSquaredError() {
        compare("784-64-10 sigmoid/linear, mean squared error on one-hot rows, RMSprop, batch 32", 32, 0.5,
                () -> new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "sigmoid"), new Dense(10)),
                RMSprop::new, "mean_squared_error", null, null,
                Labels.oneHot(yTrain, 10), Labels.oneHot(yTest, 10));
    }

    private static Tensor footwear(int[] labels) {
        float[] t = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            t[i] = labels[i] == 5 || labels[i] == 7 || labels[i] == 9 ? 1f : 0f;
        }
        return Tensor.wrap(t, labels.length, 1);
    }

    // ------------------------------------------------------------------ the comparison

    /** What one backend's run gave. */
    private record Run(double[] batchLoss, List<float[]> earlyWeights, double trainAccuracy, List<float[]> weights,
                       Map<String, Double> test, float[] outputs) {
    }

    private void compare(String what, int batch, double minAccuracy, Supplier<Sequential> model,
                         Supplier<Optimizer> optimizer, String loss, int[] labels, int[] testLabels,
                         Tensor targets, Tensor testTargets) {
        Run ref = train(cpu, batch, model, optimizer, loss, labels, targets, testLabels, testTargets);
        Run got = train(backend, batch, model, optimizer, loss, labels, targets, testLabels, testTargets);
        String ctx = " [" + what + ", " + backend.name() + " vs cpu]";
        int steps = ref.batchLoss.length;
        assertEquals((TRAIN_ROWS + batch - 1) / batch, steps, "batches recorded" + ctx);
        assertEquals(steps, got.batchLoss.length, "batches recorded" + ctx);

        // Not vacuous: finite, different from batch to batch, and learning.
        double[] r = ref.batchLoss;
        for (int b = 0; b < steps; b++) {
            assertTrue(Double.isFinite(r[b]) && r[b] > 0, "reference loss of batch " + b + " is " + r[b] + ctx);
            assertTrue(Double.isFinite(got.batchLoss[b]), "loss of batch " + b + " is " + got.batchLoss[b] + ctx);
        }
        assertTrue(Arrays.stream(r).distinct().count() > steps / 2,
                "the reference's per-batch losses barely vary: " + Arrays.toString(r) + ctx);
        double lastQuarter = Arrays.stream(r, steps - steps / 4, steps).average().orElseThrow();
        assertTrue(lastQuarter < 0.8 * r[0], "training did not lower the loss: first batch " + r[0]
                + ", mean of the last quarter " + lastQuarter + ctx);
        assertTrue(ref.trainAccuracy > minAccuracy, "reference training accuracy " + ref.trainAccuracy + ctx);

        double worstEarly = 0;
        double worstLate = 0;
        int worstLateBatch = -1;
        for (int b = 0; b < steps; b++) {
            double rel = relDiff(got.batchLoss[b], r[b]);
            double tol = b == 0 ? FIRST_BATCH_RTOL : b < EARLY_BATCHES ? EARLY_RTOL : LATE_RTOL;
            assertTrue(rel <= tol, String.format(Locale.ROOT,
                    "loss of batch %d (of %d) %.8f vs cpu %.8f: relative difference %.2e > %.0e%s",
                    b, steps, got.batchLoss[b], r[b], rel, tol, ctx));
            if (b < EARLY_BATCHES) {
                worstEarly = Math.max(worstEarly, rel);
            } else if (rel > worstLate) {
                worstLate = rel;
                worstLateBatch = b;
            }
        }
        double[] early = compareWeights("after " + EARLY_BATCHES + " steps", ref.earlyWeights, got.earlyWeights,
                EARLY_WEIGHT_RTOL, ctx);
        double[] last = compareWeights("after the epoch", ref.weights, got.weights, WEIGHT_RTOL, ctx);
        assertEquals(ref.trainAccuracy, got.trainAccuracy, ACCURACY_ATOL, "training accuracy" + ctx);
        assertTrue(relDiff(got.test.get("loss"), ref.test.get("loss")) <= LATE_RTOL,
                "test loss " + got.test + " vs cpu " + ref.test + ctx);
        assertEquals(ref.test.get("accuracy"), got.test.get("accuracy"), ACCURACY_ATOL, "test accuracy " + got.test
                + " vs cpu " + ref.test + ctx);

        // Inference alone, free of training drift: the reference's final weights on the backend under test.
        Map<String, Double> sameWeightsTest;
        float[] sameWeightsOut;
        try (Sequential m = model.get().backend(backend).seed(7)) {
            m.compile(optimizer.get(), Loss.fromName(loss), "accuracy");
            m.setWeights(ref.weights);
            sameWeightsTest = testLabels != null ? m.evaluate(xTest, testLabels) : m.evaluate(xTest, testTargets);
            sameWeightsOut = m.predict(xTest).toArray();
        }
        double inferenceRel = relDiff(sameWeightsTest.get("loss"), ref.test.get("loss"));
        assertTrue(inferenceRel <= INFERENCE_RTOL, "with the reference's weights, test loss " + sameWeightsTest
                + " vs cpu " + ref.test + ctx);
        assertEquals(ref.test.get("accuracy"), sameWeightsTest.get("accuracy"), 2.0 / TEST_ROWS,
                "with the reference's weights, test accuracy" + ctx);
        assertEquals(ref.outputs.length, sameWeightsOut.length, "outputs" + ctx);
        double worstOut = 0;
        for (int i = 0; i < sameWeightsOut.length; i++) {
            worstOut = Math.max(worstOut, Math.abs(sameWeightsOut[i] - ref.outputs[i]));
        }
        assertArrayEquals(ref.outputs, sameWeightsOut, (float) OUTPUT_ATOL,
                "predictions with the reference's weights" + ctx);

        System.out.printf(Locale.ROOT, "%s %s: loss of batch 0 %.6f (rel diff %.1e), batches 1-%d rel diff <= %.1e,"
                        + " later <= %.1e (batch %d of %d), last-quarter loss %.4f; weights rel L2 <= %.1e (weight "
                        + "%.0f) after %d steps, <= %.1e (weight %.0f) after the epoch; train acc %.4f vs %.4f; test "
                        + "%s vs %s; inference with the same weights: loss rel diff %.1e, outputs <= %.1e%n",
                label(), what, r[0], relDiff(got.batchLoss[0], r[0]), EARLY_BATCHES - 1,
                worstEarly, worstLate, worstLateBatch, steps, lastQuarter, early[0], early[1], EARLY_BATCHES,
                last[0], last[1], got.trainAccuracy, ref.trainAccuracy, got.test, ref.test, inferenceRel, worstOut);
    }

    /** Asserts every weight tensor within {@code tol} relative L2 distance; returns {worst, its index}. */
    private static double[] compareWeights(String when, List<float[]> ref, List<float[]> got, double tol,
                                           String ctx) {
        assertEquals(ref.size(), got.size(), "weight tensors" + ctx);
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < ref.size(); i++) {
            double d = relL2(got.get(i), ref.get(i));
            assertTrue(d <= tol, String.format(Locale.ROOT,
                    "%s, weight %d (%d values) is %.2e (relative L2) from the reference's > %.0e%s", when, i,
                    ref.get(i).length, d, tol, ctx));
            if (d >= worst) {
                worst = d;
                worstIndex = i;
            }
        }
        return new double[] {worst, worstIndex};
    }

    private Run train(Backend on, int batch, Supplier<Sequential> model, Supplier<Optimizer> optimizer, String loss,
                      int[] labels, Tensor targets, int[] testLabels, Tensor testTargets) {
        int steps = (TRAIN_ROWS + batch - 1) / batch;
        double[] runningSum = new double[steps];
        double[] batchLoss = new double[steps];
        int[] seenAt = new int[steps];
        List<List<float[]>> early = new ArrayList<>();
        Callback recorder = new Callback() {
            private int seen;

            @Override
            public void onEpochBegin(int epoch, Logs logs) {
                seen = 0;
            }

            @Override
            public void onTrainBatchEnd(int b, Logs logs) {
                seen += Math.min(batch, TRAIN_ROWS - b * batch);
                seenAt[b] = seen;
                runningSum[b] = logs.get("loss") * seen;
                if (b == EARLY_BATCHES - 1) {
                    early.add(model().getWeights());
                }
            }
        };
        try (Sequential m = model.get().backend(on).seed(1234)) {
            m.compile(optimizer.get(), Loss.fromName(loss), "accuracy");
            FitOptions options = new FitOptions().batchSize(batch).epochs(1).verbose(0).seed(99)
                    .callbacks(recorder);
            History h = labels != null ? m.fit(xTrain, labels, options) : m.fit(xTrain, targets, options);
            assertTrue(m.backend() == on, "the model ran on " + m.backend().name() + ", not " + on.name());
            assertEquals(TRAIN_ROWS, seenAt[steps - 1], "rows seen by the recorder on " + on.name());
            for (int b = 0; b < steps; b++) {
                int rows = seenAt[b] - (b == 0 ? 0 : seenAt[b - 1]);
                batchLoss[b] = (runningSum[b] - (b == 0 ? 0 : runningSum[b - 1])) / rows;
            }
            assertEquals(1, early.size(), "weights recorded after " + EARLY_BATCHES + " steps on " + on.name());
            double accuracy = h.get("accuracy").get(0);
            List<float[]> weights = new ArrayList<>(m.getWeights());
            Map<String, Double> test = testLabels != null ? m.evaluate(xTest, testLabels)
                    : m.evaluate(xTest, testTargets);
            float[] outputs = m.predict(xTest).toArray();
            return new Run(batchLoss, early.get(0), accuracy, weights, test, outputs);
        }
    }

    private static double relDiff(double a, double b) {
        return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    }

    private static double relL2(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
    }
}
