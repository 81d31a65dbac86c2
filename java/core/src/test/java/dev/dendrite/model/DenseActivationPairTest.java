package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.ProfilingBackend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.DenseActivationPair;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.ELU;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.LeakyReLU;
import dev.dendrite.layers.Softmax;
import dev.dendrite.regularizers.Regularizer;

/**
 * A linear Dense layer followed by an element-wise activation layer runs as one Dense with that activation
 * ({@link DenseActivationPair}), which must train bit for bit like the two layers on their own: the same ops on
 * the same floats, minus the identity's pass each way. Zero tolerance. Run on the cpu backend here; the GPU
 * backends' parity tests train such pairs against it.
 */
class DenseActivationPairTest {
    private static final String KEY = "dendrite.fuseLayers";
    private static Dataset train;
    private static Preprocessing scale;

    @BeforeAll
    static void start() throws IOException {
        train = FashionMnist.loadSample().train().rows(0, 600);
        scale = Preprocessing.fit("standardize", train.images());
    }

    @AfterAll
    static void clear() {
        System.clearProperty(KEY);
    }

    /** Every kind of pair, each followed by what courses put after it, and a pair as the input layer. */
    private static Sequential net(Backend backend) {
        return new Sequential(new Input(28, 28), new Flatten(),
                new Dense(64).kernelRegularizer(Regularizer.l2(1e-4)), new Activation("relu"),
                new BatchNormalization(), new Dropout(0.2),
                new Dense(48), new LeakyReLU(0.1),
                new Dense(32).useBias(false), new ELU(0.7),
                new Dense(24), new Activation("selu"),
                new Dense(16), new Activation("tanh"), new Dropout(0.1),
                new Dense(10), new Activation("softmax"))
                .backend(backend);
    }

    private record Run(History history, List<float[]> weights, float[] predictions, Map<String, long[]> ops) {
    }

    private static Run train(boolean pairs) {
        if (pairs) {
            System.clearProperty(KEY);
        } else {
            System.setProperty(KEY, "false");
        }
        try (ProfilingBackend profiler = new ProfilingBackend(new CpuBackend(2), false);
             Sequential m = net(profiler.backend())) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            Inputs x = scale.apply(train.images());
            History h = m.fit(x, train.labels(), new FitOptions().batchSize(50).epochs(2).verbose(0)
                    .validationSplit(0.2).seed(11));
            float[] p = m.predict(x.rows(0, 100)).toArray();
            return new Run(h, m.getWeights(), p, profiler.measurements());
        } finally {
            System.clearProperty(KEY);
        }
    }

    private static long calls(Map<String, long[]> ops, String op) {
        return ops.entrySet().stream().filter(e -> e.getKey().startsWith(op)).mapToLong(e -> e.getValue()[0]).sum();
    }

    @Test
    void pairsTrainAndPredictExactlyLikeTheTwoLayers() {
        Run apart = train(false);
        Run paired = train(true);
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(apart.history().get(key), paired.history().get(key), key + " per epoch");
        }
        assertEquals(apart.weights().size(), paired.weights().size());
        for (int i = 0; i < apart.weights().size(); i++) {
            assertArrayEquals(apart.weights().get(i), paired.weights().get(i), "weight array " + i);
        }
        assertArrayEquals(apart.predictions(), paired.predictions(), "predictions");
        // Per forward pass, apart: 12 bias-and-activation passes (each Dense's, each activation layer's); paired:
        // 7 (five pairs, the last Dense and its softmax layer). Per training step, apart: 11 derivative passes (six
        // Dense layers, five element-wise activation layers; softmax's is fused into the loss); paired: 6.
        long activationsApart = calls(apart.ops(), "biasActivationForward");
        assertEquals(0, activationsApart % 12, "whole forward passes: " + activationsApart);
        assertEquals(activationsApart / 12 * 7, calls(paired.ops(), "biasActivationForward"), "forward passes");
        long backwardApart = calls(apart.ops(), "activationBackward");
        long backwardPaired = calls(paired.ops(), "activationBackward");
        assertEquals(0, backwardApart % 11, "whole backward passes: " + backwardApart);
        assertEquals(backwardApart / 11 * 6, backwardPaired, "derivative passes");
    }

    @Test
    void onlyALinearDenseAndAnElementwiseActivationPair() {
        assertNotNull(DenseActivationPair.of(new Dense(4), new Activation("relu")));
        assertNotNull(DenseActivationPair.of(new Dense(4), new LeakyReLU()));
        assertNotNull(DenseActivationPair.of(new Dense(4), new ELU()));
        assertNull(DenseActivationPair.of(new Dense(4, "relu"), new Activation("relu")), "the Dense has its own");
        assertNull(DenseActivationPair.of(new Dense(4), new Activation("softmax")), "softmax is per row");
        assertNull(DenseActivationPair.of(new Dense(4), new Softmax()), "not an element-wise activation layer");
        assertNull(DenseActivationPair.of(new Dense(4), new BatchNormalization()));
        assertNull(DenseActivationPair.of(new Activation("relu"), new Dense(4)));
    }
}
