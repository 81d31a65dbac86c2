package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.ReplayBackend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;

/**
 * {@link FitOptions#mixup} through {@link Sequential#fit} on the bundled Fashion-MNIST sample. The CPU backend is
 * deterministic, so a recorded step ({@link ReplayBackend}: only the recorded ops run again, with the arguments
 * they had) must train bit for bit like steps issued op by op: a lambda or permutation computed on the host per
 * step would be replayed stale and show here.
 */
class MixupFitTest {
    private static CpuBackend cpu;
    private static Dataset train;
    private static Preprocessing scale;

    @BeforeAll
    static void start() throws IOException {
        cpu = new CpuBackend(2);
        train = FashionMnist.loadSample().train().rows(0, 1000);
        scale = Preprocessing.fit("scale", train.images());
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static Inputs x() {
        return scale.apply(train.images());
    }

    private static Sequential net(Backend backend) {
        return new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"), new Dropout(0.1),
                new Dense(10, "softmax")).backend(backend);
    }

    private record Run(History history, List<float[]> weights) {
    }

    private static Run fit(Backend backend, String loss, FitOptions options) {
        try (Sequential m = net(backend)) {
            m.compile("adam", loss, "accuracy");
            History h = loss.startsWith("sparse") ? m.fit(x(), train.labels(), options)
                    : m.fit(x(), Labels.oneHot(train.labels(), 10), options);
            return new Run(h, m.getWeights());
        }
    }

    private static FitOptions options(double alpha, long seed) {
        return new FitOptions().batchSize(64).epochs(3).verbose(0).validationSplit(0.2).seed(seed).mixup(alpha);
    }

    private static void assertSame(Run a, Run b) {
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(a.history().get(key), b.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < a.weights().size(); i++) {
            assertArrayEquals(a.weights().get(i), b.weights().get(i), "weight array " + i);
        }
    }

    @Test
    void recordedStepsMixExactlyLikeIssuedOnes() {
        Run direct = fit(cpu, "sparse_categorical_crossentropy", options(0.2, 7));
        Backend replay = ReplayBackend.wrap(cpu);
        Run replayed = fit(replay, "sparse_categorical_crossentropy", options(0.2, 7));
        assertSame(direct, replayed);
        ReplayBackend r = ReplayBackend.of(replay);
        assertEquals(2, r.recordings(), "one recording for the full batches, one for the partial last batch");
        assertEquals(3 * 13 - 2, r.replays(), "every step replayed but the first of each shape");
        Run plain = fit(cpu, "sparse_categorical_crossentropy", options(0, 7));
        assertNotEquals(plain.history().get("loss"), direct.history().get("loss"), "mixup changed nothing");
    }

    @Test
    void aSeedRepeatsAndAnotherSeedMixesOtherwise() {
        Run a = fit(cpu, "sparse_categorical_crossentropy", options(0.4, 11));
        Run b = fit(cpu, "sparse_categorical_crossentropy", options(0.4, 11));
        assertSame(a, b);
        Run c = fit(cpu, "sparse_categorical_crossentropy", options(0.4, 12));
        assertNotEquals(a.history().get("loss"), c.history().get("loss"));
    }

    @Test
    void classIndicesBecomeTheOneHotTargetsTheDenseLossWouldSee() {
        // Sparse labels are mixed as one-hot rows and the loss runs as the dense softmax cross-entropy, so the
        // sparse fit and the categorical fit on one-hot targets are the same computation, to the bit.
        assertSame(fit(cpu, "sparse_categorical_crossentropy", options(0.3, 5)),
                fit(cpu, "categorical_crossentropy", options(0.3, 5)));
    }

    @Test
    void trainsAndValidatesOnCleanData() {
        FitOptions o = new FitOptions().batchSize(32).epochs(6).verbose(0).validationSplit(0.2).seed(3).mixup(0.2);
        try (Sequential m = net(cpu)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(x(), train.labels(), o);
            List<Double> loss = h.get("loss");
            List<Double> valAcc = h.get("val_accuracy");
            assertTrue(loss.get(loss.size() - 1) < 0.85 * loss.get(0), "mixed training loss " + loss);
            assertTrue(valAcc.get(valAcc.size() - 1) > 0.7, "held-out accuracy " + valAcc);
            // The validation pass saw clean data: evaluate on the same held-out rows gives the same numbers.
            Inputs all = x();
            Map<String, Double> e = m.evaluate(all.rows(800, 1000),
                    java.util.Arrays.copyOfRange(train.labels(), 800, 1000));
            assertEquals(h.get("val_loss").get(5), e.get("loss"), 1e-6);
            assertEquals(valAcc.get(5), e.get("accuracy"), 1e-9);
        }
    }

    @Test
    void badAlphasAreRejectedWithTheirValue() {
        for (double alpha : new double[] {-0.2, 1e-9, Double.NaN, Double.POSITIVE_INFINITY, 1e5}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FitOptions().mixup(alpha));
            assertTrue(e.getMessage().contains("FitOptions.mixup: alpha = " + alpha), e.getMessage());
        }
        assertEquals(0, new FitOptions().mixup(0.3).mixup(0).mixup());
    }
}
