package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.ActivationDropoutPair;
import dev.dendrite.layers.BatchNormDropoutPair;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.DenseActivationPair;
import dev.dendrite.layers.DenseDropoutPair;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.ELU;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.GaussianDropout;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.LayerPair;
import dev.dendrite.layers.LeakyReLU;
import dev.dendrite.layers.Softmax;
import dev.dendrite.regularizers.Regularizer;

/**
 * Adjacent layers that run as one ({@link LayerPair}: a linear Dense and the activation layer after it, a batch norm
 * and the Dropout after it) must train and predict bit for bit like the layers on their own: the same ops on the same
 * floats, with fewer passes. Zero tolerance. Runs on the cpu backend; the GPU backends' test classes extend this one
 * ({@link #createBackend}), where the batch norm's kernels drop values themselves.
 */
public class LayerPairsTest {
    private static final String KEY = "dendrite.fuseLayers";
    private static final String DROPOUT_KEY = "dendrite.fuseDropout";
    private static final String HAND_OFF_KEY = "dendrite.fuseInputGradient";
    private static final String ACTIVATION_BELOW_KEY = "dendrite.fuseActivationBackward";
    private static final String DENSE_BATCH_NORM_KEY = "dendrite.fuseDenseBatchNorm";
    private static Dataset train;
    private static Preprocessing scale;

    @BeforeAll
    public static void start() throws IOException {
        train = FashionMnist.loadSample().train().rows(0, 600);
        scale = Preprocessing.fit("standardize", train.images());
    }

    @AfterAll
    public static void clear() {
        System.clearProperty(KEY);
        System.clearProperty(DROPOUT_KEY);
    }

    /** The backend under test, which the test closes. */
    protected Backend createBackend() {
        return new CpuBackend(2);
    }

    /**
     * Every kind of pair, each followed by what courses put after it: a batch norm and dropout first (nothing
     * before trains), Dense + Activation + BatchNormalization + Dropout, batch norms without center or scale,
     * Dense(relu) + Dropout, a Dense without bias and its dropout, Dense + Activation + Dropout (the dropout left
     * alone), Dense + BatchNormalization + Activation + Dropout (the activation and the dropout paired).
     */
    private static Sequential net(Backend backend) {
        return new Sequential(new Input(28, 28), new Flatten(),
                new BatchNormalization().center(false), new Dropout(0.1),
                new Dense(64).kernelRegularizer(Regularizer.l2(1e-4)), new Activation("relu"),
                new BatchNormalization(), new Dropout(0.2),
                new Dense(48), new LeakyReLU(0.1),
                new Dense(32).useBias(false), new ELU(0.7),
                new Dense(24), new Activation("selu"), new BatchNormalization().scale(false), new Dropout(0.3),
                new Dense(20, "relu"), new Dropout(0.25),
                new Dense(16), new Activation("tanh"), new Dropout(0.1),
                new Dense(14), new BatchNormalization(), new Activation("relu"), new Dropout(0.15),
                new Dense(12, "sigmoid").useBias(false), new Dropout(0.5),
                new Dense(10), new Activation("softmax"))
                .backend(backend);
    }

    private record Run(History history, List<float[]> weights, float[] predictions, Map<String, long[]> ops) {
    }

    /** One fit with the pairs on, off, or on but for the dropouts ({@code -Ddendrite.fuseDropout=true/false}). */
    private static Run train(Backend backend, boolean pairs, boolean dropoutPairs) {
        return train(backend, pairs, dropoutPairs, false);
    }

    /**
     * The same, and with {@code handOffs} a Dense's input gradient computed by the layer below and a batch norm's
     * backward pass running the activation below's.
     */
    private static Run train(Backend backend, boolean pairs, boolean dropoutPairs, boolean handOffs) {
        System.clearProperty(KEY);
        System.clearProperty(DROPOUT_KEY);
        System.setProperty(HAND_OFF_KEY, Boolean.toString(handOffs));
        System.setProperty(ACTIVATION_BELOW_KEY, Boolean.toString(handOffs));
        System.setProperty(DENSE_BATCH_NORM_KEY, Boolean.toString(handOffs));
        if (!pairs) {
            System.setProperty(KEY, "false");
        }
        // Set either way: unset, only GPU devices pair a Dropout, and this test runs the pairs on PoCL too.
        System.setProperty(DROPOUT_KEY, Boolean.toString(dropoutPairs));
        Map<String, long[]> ops = new TreeMap<>();
        try (Sequential m = net(counting(backend, ops))) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            Inputs x = scale.apply(train.images());
            History h = m.fit(x, train.labels(), new FitOptions().batchSize(50).epochs(2).verbose(0)
                    .validationSplit(0.2).seed(11));
            float[] p = m.predict(x.rows(0, 100)).toArray();
            return new Run(h, m.getWeights(), p, ops);
        } finally {
            System.clearProperty(KEY);
            System.clearProperty(DROPOUT_KEY);
            System.clearProperty(HAND_OFF_KEY);
            System.clearProperty(ACTIVATION_BELOW_KEY);
            System.clearProperty(DENSE_BATCH_NORM_KEY);
        }
    }

    /** {@code inner}, counting the calls of each op by name into {@code ops} (a default op counts once, as itself). */
    private static Backend counting(Backend inner, Map<String, long[]> ops) {
        return around(inner, "counting", (method, args) -> ops.computeIfAbsent(method.getName(), k -> new long[1])[0]++,
                (method, args) -> { });
    }

    /** A proxy of {@code inner} ({@code name} its name) that calls {@code before} and {@code after} around each op. */
    private static Backend around(Backend inner, String name, BiConsumer<Method, Object[]> before,
                                  BiConsumer<Method, Object[]> after) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "equals" -> proxy == args[0];
                            case "hashCode" -> System.identityHashCode(proxy);
                            default -> name + " " + inner;
                        };
                    }
                    before.accept(method, args);
                    Object result;
                    try {
                        result = method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    after.accept(method, args);
                    return result;
                });
    }

    private static long calls(Map<String, long[]> ops, String op) {
        return ops.entrySet().stream().filter(e -> e.getKey().startsWith(op)).mapToLong(e -> e.getValue()[0]).sum();
    }

    /**
     * Both runs on one backend, after a first run that has every product shape chosen (the GPU backends time their
     * GEMM candidates on a shape's first call and keep the fastest: a second backend could choose another kernel).
     */
    @Test
    void pairsTrainAndPredictExactlyLikeTheLayersApart() {
        Run apart;
        Run paired;
        Run dropoutsApart;
        try (Backend backend = createBackend()) {
            train(backend, true, true);
            apart = train(backend, false, true);
            paired = train(backend, true, true);
            dropoutsApart = train(backend, true, false);
        }
        assertSameRun(apart, dropoutsApart);
        // Without the dropout pairs only the five Dense + activation pairs remain: 7 dropouts each way.
        assertEquals(calls(apart.ops(), "dropoutForward"), calls(dropoutsApart.ops(), "dropoutForward"));
        assertEquals(0, calls(dropoutsApart.ops(), "denseDropout") + calls(dropoutsApart.ops(), "activationDropout")
                + calls(dropoutsApart.ops(), "batchNormDropout"));
        assertEquals(calls(paired.ops(), "denseForward") + calls(paired.ops(), "denseDropoutForward"),
                calls(dropoutsApart.ops(), "denseForward"), "the Dense layers' passes");
        assertSameRun(apart, paired);

        // Apart, per forward pass (F of them): 9 Dense layers' passes and 7 activation layers'; per training step
        // (T): 15 derivative passes (9 Dense, 6 element-wise activation layers; softmax's is in the loss), 7
        // dropouts each way, 4 batch norms. Paired: five Dense layers run with their activation layer, two with
        // their dropout (denseDropoutForward while training), one activation layer with its dropout, three batch
        // norms with theirs; one dropout stays alone (after an activation that is paired with its Dense).
        long steps = calls(apart.ops(), "batchNormForwardTraining") / 4;
        long forwards = calls(apart.ops(), "denseForward") / 9;
        assertEquals(9 * forwards, calls(apart.ops(), "denseForward"), "whole forward passes");
        assertEquals(7 * forwards, calls(apart.ops(), "biasActivationForward"));
        assertEquals(15 * steps, calls(apart.ops(), "activationBackward"));
        assertEquals(7 * steps, calls(apart.ops(), "dropoutForward"));
        assertEquals(7 * steps, calls(apart.ops(), "dropoutBackward"));
        assertEquals(0, calls(apart.ops(), "batchNormDropout") + calls(apart.ops(), "denseDropout")
                + calls(apart.ops(), "activationDropout"));

        assertEquals(9 * forwards - 2 * steps, calls(paired.ops(), "denseForward"));
        assertEquals(2 * steps, calls(paired.ops(), "denseDropoutForward"));
        assertEquals(2 * forwards - steps, calls(paired.ops(), "biasActivationForward"), "activation layers' passes");
        assertEquals(steps, calls(paired.ops(), "activationDropoutForward"));
        assertEquals(7 * steps, calls(paired.ops(), "activationBackward"), "derivative passes");
        assertEquals(3 * steps, calls(paired.ops(), "activationDropoutBackward"));
        assertEquals(steps, calls(paired.ops(), "dropoutForward"), "dropout passes forward");
        assertEquals(steps, calls(paired.ops(), "dropoutBackward"), "dropout passes backward");
        assertEquals(steps, calls(paired.ops(), "batchNormForwardTraining"));
        assertEquals(3 * steps, calls(paired.ops(), "batchNormDropoutForward"));
        assertEquals(3 * steps, calls(paired.ops(), "batchNormDropoutBackward"));
    }

    /**
     * A Dense's input gradient computed inside the backward pass of the Dense below it
     * (Backend.inputGradientActivationBackward) or batch norm below it (batchNormBackwardBetween), the pairs
     * on: the same bits as every layer apart. In {@link #net} a Dense hands off where the unit below is led by a
     * Dense: Dense(10) to Dense(12) + Dropout, Dense(16) + tanh to Dense(20, relu) + Dropout, Dense(24) + selu to
     * Dense(32) + ELU (no bias), Dense(32) + ELU to Dense(48) + LeakyReLU; or by a batch norm: Dense(20) + Dropout,
     * Dense(48) + LeakyReLU and Dense(64) + relu to a batch norm and its Dropout; not to an activation layer or a
     * Dropout left alone. And a batch norm runs the activation backward of the Dense right below it
     * (Backend.batchNormBackwardBetween): over Dense(64) + relu, Dense(24) + selu and the linear Dense(14); not over
     * Flatten. Four batch norms, four batchNormBackwardBetween a step. Forward, the same three batch norms run the
     * Dense before them (denseBatchNormForward).
     */
    @Test
    void aDenseHandsItsInputGradientToTheDenseBelowExactlyLikeApart() {
        Run apart;
        Run paired;
        Run handedOff;
        try (Backend backend = createBackend()) {
            train(backend, true, true, true);
            apart = train(backend, false, true);
            paired = train(backend, true, true, false);
            handedOff = train(backend, true, true, true);
        }
        assertSameRun(apart, handedOff);
        long steps = calls(apart.ops(), "batchNormForwardTraining") / 4;
        assertEquals(4 * steps, calls(handedOff.ops(), "inputGradientActivationBackward"));
        assertEquals(4 * steps, calls(handedOff.ops(), "batchNormBackwardBetween"));
        assertEquals(0, calls(paired.ops(), "inputGradient") + calls(paired.ops(), "batchNormBackwardBetween"));
        assertEquals(calls(paired.ops(), "gemm") - 7 * steps, calls(handedOff.ops(), "gemm"), "the dx products");
        assertEquals(3 * steps, calls(paired.ops(), "batchNormDropoutBackward"));
        assertEquals(steps, paired.ops().getOrDefault("batchNormBackward", new long[1])[0]);
        assertEquals(0, calls(handedOff.ops(), "batchNormDropoutBackward")
                + handedOff.ops().getOrDefault("batchNormBackward", new long[1])[0]);
        assertEquals(calls(paired.ops(), "activationBackward") - 5 * steps, calls(handedOff.ops(),
                "activationBackward"));
        // Forward, while training, a batch norm runs the Dense before it too (denseBatchNormForward): Dense(64) +
        // relu, Dense(24) + selu and Dense(14) with the batch norms after them, not the first batch norm (after
        // Flatten).
        assertEquals(3 * steps, calls(handedOff.ops(), "denseBatchNormForward"));
        assertEquals(calls(paired.ops(), "denseForward") - 3 * steps, calls(handedOff.ops(), "denseForward"));
        assertEquals(steps, calls(handedOff.ops(), "batchNormDropoutForward"));
        assertEquals(0, calls(handedOff.ops(), "batchNormForwardTraining"));
        assertEquals(calls(paired.ops(), "activationDropoutBackward") - 2 * steps, calls(handedOff.ops(),
                "activationDropoutBackward"));
    }

    /**
     * A relu or linear Dense reads its derivative from its output (ActivationFunction.derivativeFromOutput), so that
     * Backend.denseForward may leave the pre-activation unwritten there (the CUDA backend's cuBLASLt epilogue writes
     * y alone): with z overwritten by NaN after every such denseForward, training gives the same bits, with the
     * input gradients handed down and batch norms running the activation below, and without. A layer that read z
     * would take relu'(NaN) = 0 and stop learning.
     */
    @Test
    void aReluOrLinearDenseNeverReadsItsPreActivation() {
        for (boolean handOffs : new boolean[] {false, true}) {
            Run written;
            Run poisoned;
            long[] poisonings = {0};
            try (Backend backend = createBackend()) {
                train(backend, true, true, handOffs);
                written = train(backend, true, true, handOffs);
                poisoned = train(poisoningPreActivations(backend, poisonings), true, true, handOffs);
            }
            assertTrue(poisonings[0] > 0, "no relu or linear denseForward ran");
            assertSameRun(written, poisoned);
        }
    }

    /** {@code inner}, with z filled with NaN after each denseForward whose activation's derivative reads y. */
    private static Backend poisoningPreActivations(Backend inner, long[] count) {
        return around(inner, "poisoning", (method, args) -> { }, (method, args) -> {
            if (method.getName().equals("denseForward") && ((ActivationFunction) args[6]).derivativeFromOutput()) {
                inner.fill((Slice) args[8], Float.NaN);
                count[0]++;
            }
        });
    }

    /**
     * A Dense softmax output layer and its cross-entropy run as one op (Backend.denseSoftmaxCrossEntropy), in training
     * and evaluation, with sparse labels and with one-hot targets: the same bits as the layer and then the loss.
     */
    @Test
    void theOutputLayerAndTheLossRunAsOneExactlyLikeApart() {
        for (boolean sparse : new boolean[] {true, false}) {
            Run apart;
            Run together;
            try (Backend backend = createBackend()) {
                trainSoftmaxNet(backend, sparse, true);
                apart = trainSoftmaxNet(backend, sparse, false);
                together = trainSoftmaxNet(backend, sparse, true);
            }
            assertSameRun(apart, together);
            assertEquals(0, calls(apart.ops(), "denseSoftmaxCrossEntropy"));
            long losses = calls(apart.ops(), "softmaxCrossEntropy");
            assertTrue(losses > 0);
            assertEquals(losses, calls(together.ops(), "denseSoftmaxCrossEntropy"), "every loss with its layer");
            assertEquals(0, calls(together.ops(), "softmaxCrossEntropy"));
        }
    }

    /**
     * A plain stack of dense layers, each right under the next (no layer between), the upper ones thin (10, 20 and 24
     * units: input gradients of at most THIN_K terms): with the hand-offs, where the backend computes an upper
     * layer's weight gradient in the lower layer's first op too (Backend.weightGradientWithInputGradient: OpenCL,
     * beside the thin product in activation_backward), the upper layers leave it there. Trains bit for bit like
     * without hand-offs (history, weights, predictions); a step's ops then hold one weight-gradient gemm (the first
     * layer's) per three inputGradientActivationBackward, else four (each layer's own). With a softmax output and
     * its loss, and with sigmoid outputs and binary cross-entropy, whose bias gradient the output layer sums itself
     * beside the hand-off (the softmax loss may sum it: Backend.biasGradientWithLoss).
     */
    @Test
    void weightGradientsLeftToTheDenseBelowTrainExactlyLikeApart() {
        for (boolean sigmoid : new boolean[] {false, true}) {
            Run apart;
            Run handedOff;
            boolean below;
            try (Backend backend = createBackend()) {
                below = backend.weightGradientWithInputGradient(50, 24, 20);
                apart = trainDenseStack(backend, false, sigmoid);
                handedOff = trainDenseStack(backend, true, sigmoid);
            }
            assertSameRun(apart, handedOff);
            long handOffs = calls(handedOff.ops(), "inputGradientActivationBackward");
            assertTrue(handOffs > 0 && handOffs % 3 == 0, "three hand-offs a step: " + handOffs);
            assertEquals((below ? 1 : 4) * handOffs / 3, calls(handedOff.ops(), "gemm"), "weight-gradient "
                    + "products, " + (below ? "the upper ones in the layer below" : "each layer's own"));
        }
    }

    private Run trainDenseStack(Backend backend, boolean handOffs, boolean sigmoid) {
        System.clearProperty(KEY); // hand-offs need -Ddendrite.fuseLayers on, which a run of the suite may set off
        System.setProperty(HAND_OFF_KEY, Boolean.toString(handOffs));
        Map<String, long[]> ops = new TreeMap<>();
        try (Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(48, "relu"),
                new Dense(24, "elu"), new Dense(20, "relu"), new Dense(10, sigmoid ? "sigmoid" : "softmax"))
                .backend(counting(backend, ops))) {
            m.compile("adam", sigmoid ? "binary_crossentropy" : "sparse_categorical_crossentropy", "accuracy");
            Inputs x = scale.apply(train.images());
            FitOptions options = new FitOptions().batchSize(50).epochs(2).verbose(0).validationSplit(0.2).seed(7);
            History h = sigmoid ? m.fit(x, Labels.oneHot(train.labels(), 10), options)
                    : m.fit(x, train.labels(), options);
            float[] p = m.predict(x.rows(0, 100)).toArray();
            return new Run(h, m.getWeights(), p, ops);
        } finally {
            System.clearProperty(KEY);
            System.clearProperty(HAND_OFF_KEY);
        }
    }

    private Run trainSoftmaxNet(Backend backend, boolean sparse, boolean together) {
        System.clearProperty(KEY);
        if (!together) {
            System.setProperty(KEY, "false");
        }
        Map<String, long[]> ops = new TreeMap<>();
        try (Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(32, "relu"),
                new Dense(10, "softmax")).backend(counting(backend, ops))) {
            m.compile("adam", sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy", "accuracy");
            Inputs x = scale.apply(train.images());
            FitOptions options = new FitOptions().batchSize(50).epochs(2).verbose(0).validationSplit(0.2).seed(5);
            History h = sparse ? m.fit(x, train.labels(), options)
                    : m.fit(x, Labels.oneHot(train.labels(), 10), options);
            float[] p = m.predict(x.rows(0, 100)).toArray();
            return new Run(h, m.getWeights(), p, ops);
        } finally {
            System.clearProperty(KEY);
        }
    }

    private static void assertSameRun(Run expected, Run actual) {
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(expected.history().get(key), actual.history().get(key), key + " per epoch");
        }
        assertEquals(expected.weights().size(), actual.weights().size());
        for (int i = 0; i < expected.weights().size(); i++) {
            assertArrayEquals(expected.weights().get(i), actual.weights().get(i), "weight array " + i);
        }
        assertArrayEquals(expected.predictions(), actual.predictions(), "predictions");
    }

    /** Unset, a Dropout pairs only where the ops run on a GPU; set, the property decides, and a typo is an error. */
    @Test
    void dropoutPairsByDevice() {
        System.clearProperty(DROPOUT_KEY);
        try (Backend backend = createBackend()) {
            assertEquals(!backend.runsOnHostCpu(), Engine.dropoutPairs(backend));
            System.setProperty(DROPOUT_KEY, "true");
            assertTrue(Engine.dropoutPairs(backend));
            System.setProperty(DROPOUT_KEY, "false");
            assertFalse(Engine.dropoutPairs(backend));
            System.setProperty(DROPOUT_KEY, "yes");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Engine.dropoutPairs(backend));
            assertTrue(e.getMessage().contains("=yes"), e.getMessage());
        } finally {
            System.clearProperty(DROPOUT_KEY);
        }
    }

    @Test
    void whichLayersPair() {
        assertInstanceOf(DenseActivationPair.class, LayerPair.of(new Dense(4), new Activation("relu")));
        assertInstanceOf(DenseActivationPair.class, LayerPair.of(new Dense(4), new LeakyReLU()));
        assertInstanceOf(DenseActivationPair.class, LayerPair.of(new Dense(4), new ELU()));
        assertInstanceOf(BatchNormDropoutPair.class, LayerPair.of(new BatchNormalization(), new Dropout(0.5)));
        assertInstanceOf(DenseDropoutPair.class, LayerPair.of(new Dense(4, "relu"), new Dropout(0.5)));
        assertInstanceOf(DenseDropoutPair.class, LayerPair.of(new Dense(4), new Dropout(0.5)));
        assertNull(LayerPair.of(new Dense(4, "softmax"), new Dropout(0.5)), "softmax is per row");
        assertNull(LayerPair.of(new Dense(4, "relu"), new Dropout(0)), "a dropout of rate 0 copies");
        assertInstanceOf(ActivationDropoutPair.class, LayerPair.of(new Activation("relu"), new Dropout(0.5)));
        assertInstanceOf(ActivationDropoutPair.class, LayerPair.of(new LeakyReLU(), new Dropout(0.5)));
        assertNull(LayerPair.of(new Activation("softmax"), new Dropout(0.5)), "softmax is per row");
        assertNull(LayerPair.of(new Dense(4, "relu"), new Activation("relu")), "the Dense has its own");
        assertNull(LayerPair.of(new Dense(4), new Activation("softmax")), "softmax is per row");
        assertNull(LayerPair.of(new Dense(4), new Softmax()), "not an element-wise activation layer");
        assertNull(LayerPair.of(new Dense(4), new BatchNormalization()));
        assertNull(LayerPair.of(new Activation("relu"), new Dense(4)));
        assertNull(LayerPair.of(new BatchNormalization(), new Dropout(0)), "a dropout of rate 0 copies");
        assertNull(LayerPair.of(new BatchNormalization(), new GaussianDropout(0.2)), "only Dropout's mask");
        assertNull(LayerPair.of(new Dropout(0.2), new BatchNormalization()));
    }
}
