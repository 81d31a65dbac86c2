package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * {@link FitOptions#mixup} on OpenCL (PoCL in CI): a fit whose steps are recorded and replayed equals, to the bit,
 * the same fit issued op by op ({@code -Ddendrite.opencl.record=false}; see OpenClStepCaptureTest for why the
 * tolerance can be zero), and it follows the CPU backend's fit: the lambdas agree to a few ulps (device log/exp
 * against Java's), everything else in the same order, so two epochs' losses agree within 1e-4 relative.
 */
class OpenClMixupFitTest {

    private record Run(History history, List<float[]> weights) {
    }

    private static Run train(Backend backend, Dataset train, Preprocessing scale) {
        try (Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"),
                new Dense(10, "softmax")).backend(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(scale.apply(train.images()), train.labels(), new FitOptions().batchSize(64).epochs(2)
                    .verbose(0).validationSplit(0.2).seed(5).mixup(0.2));
            return new Run(h, m.getWeights());
        }
    }

    @Test
    void recordedMixupStepsTrainExactlyLikeIssuedOnesAndFollowTheCpu() throws IOException {
        Dataset train = FashionMnist.loadSample().train().rows(0, 600); // 480 training rows: 7 batches of 64 + 32
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        Run issued;
        Run recorded;
        try (OpenClBackend cl = OpenClStepCaptureTest.backend(false)) {
            issued = train(cl, train, scale);
        }
        try (OpenClBackend cl = OpenClStepCaptureTest.backend(true)) {
            recorded = train(cl, train, scale);
        }
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(issued.history().get(key), recorded.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < issued.weights().size(); i++) {
            assertArrayEquals(issued.weights().get(i), recorded.weights().get(i), "weight array " + i);
        }
        Run cpu;
        try (CpuBackend c = new CpuBackend(2)) {
            cpu = train(c, train, scale);
        }
        for (String key : List.of("loss", "val_loss")) {
            for (int e = 0; e < 2; e++) {
                double want = cpu.history().get(key).get(e);
                assertEquals(want, recorded.history().get(key).get(e), 1e-4 * Math.abs(want), key + " of epoch " + e
                        + " against the CPU backend");
            }
        }
    }
}
