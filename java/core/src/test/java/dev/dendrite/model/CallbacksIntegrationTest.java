package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.EarlyStopping;
import dev.dendrite.callbacks.LambdaCallback;
import dev.dendrite.callbacks.ModelCheckpoint;
import dev.dendrite.callbacks.ReduceLROnPlateau;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;

/** The callbacks driving a real model: the engine's side of the contract they rely on. */
class CallbacksIntegrationTest {
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static Sequential model() {
        return new Sequential(new Input(4), new Dense(8, "relu"), new Dense(3, "softmax")).backend(cpu);
    }

    @Test
    void earlyStoppingRestoresTheBestWeights() {
        Object[] d = SequentialTest.blobs(300, 11);
        try (Sequential m = model()) {
            // A learning rate far too high makes validation loss worse after the first epochs.
            m.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
            m.setLearningRate(3.0);
            EarlyStopping es = new EarlyStopping().monitor("val_loss").patience(2).restoreBestWeights(true);
            @SuppressWarnings({"unchecked", "rawtypes"}) // a one-element holder the lambda below can write to
            List<float[]>[] atBest = new List[1];
            double[] best = {Double.POSITIVE_INFINITY};
            LambdaCallback spy = LambdaCallback.onEpochEnd((epoch, logs) -> {
                if (logs.get("val_loss") < best[0]) {
                    best[0] = logs.get("val_loss");
                    atBest[0] = m.getWeights();
                }
            });
            History h = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(30).verbose(0)
                    .validationSplit(0.3).callbacks(spy, es));
            assertEquals(h.get("val_loss").stream().mapToDouble(Double::doubleValue).min().getAsDouble(), best[0]);
            List<float[]> now = m.getWeights();
            for (int i = 0; i < now.size(); i++) {
                assertArrayEquals(atBest[0].get(i), now.get(i), "weight " + i + " restored to the best epoch");
            }
        }
    }

    @Test
    void reduceLrOnPlateauLowersTheRateSeenByTheNextEpoch() {
        Object[] d = SequentialTest.blobs(100, 12);
        try (Sequential m = model()) {
            m.compile("adam", "sparse_categorical_crossentropy");
            // min_delta larger than any improvement: every epoch is a plateau.
            ReduceLROnPlateau r = new ReduceLROnPlateau().monitor("loss").factor(0.5).patience(1).minDelta(10);
            History h = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(4).verbose(0).callbacks(r));
            List<Double> lr = h.get("learning_rate");
            assertEquals(0.001, lr.get(0), 1e-12);
            assertTrue(lr.get(3) < lr.get(0), "rate reduced: " + lr);
            // Each epoch's logs show the rate it trained with; the plateau at the end of the last epoch halves it
            // once more for the next fit.
            assertEquals(lr.get(3) * 0.5, m.learningRate(), 1e-12);
        }
    }

    @Test
    void modelCheckpointKeepsOnlyImprovements(@TempDir Path dir) throws IOException {
        Object[] d = SequentialTest.blobs(200, 13);
        try (Sequential m = model()) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            ModelCheckpoint ck = new ModelCheckpoint(dir.resolve("ep{epoch:02d}-{val_loss:.4f}.safetensors").toString())
                    .monitor("val_loss").saveBestOnly(true);
            m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(5).verbose(0).validationSplit(0.25)
                    .callbacks(ck));
            List<String> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
            }
            assertTrue(!files.isEmpty() && files.get(0).startsWith("ep01-"), files.toString());
            try (Sequential back = Sequential.load(ck.lastSavedPath(), cpu)) {
                assertEquals(3, back.layers().size());
            }
        }
    }
}
