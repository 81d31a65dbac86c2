package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.callbacks.BackupAndRestore;
import dev.dendrite.callbacks.LambdaCallback;
import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.io.ModelFile;
import dev.dendrite.io.TensorData;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;
import dev.dendrite.losses.Loss;
import dev.dendrite.optimizers.Adam;

/**
 * The state of the optimizer's options travels in the model file too: the weights' moving average
 * ({@code use_ema}), the gradients accumulated since the last update and the counters the rule sees
 * ({@code gradient_accumulation_steps}). With 7 batches an epoch and 3 accumulation steps, every epoch boundary
 * falls inside an accumulation cycle, so a resume that dropped the accumulator would differ (asserted).
 */
class OptimizerOptionsStateFileTest extends CpuModelTestBase {
    @TempDir
    Path dir;

    private static final Object[] DATA = SequentialTest.blobs(100, 11);
    private static final Tensor X = (Tensor) DATA[0];
    private static final int[] Y = (int[]) DATA[1];

    private static Sequential net(boolean ema, int accumulation) {
        Adam adam = new Adam(0.01);
        adam.options().useEma(ema).emaMomentum(0.9);
        if (accumulation > 0) {
            adam.options().gradientAccumulationSteps(accumulation);
        }
        Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new BatchNormalization(), new Dropout(0.3),
                new Dense(3, "softmax")).backend(cpu);
        m.compile(adam, Loss.fromName("sparse_categorical_crossentropy"), "accuracy");
        return m;
    }

    private static FitOptions epochs(int from, int to) {
        return new FitOptions().initialEpoch(from).epochs(to).batchSize(16).verbose(0);
    }

    @Test
    void accumulationResumedFromAFileEndsBitIdenticalToOneFit() throws IOException {
        List<float[]> straight;
        try (Sequential m = net(false, 3)) {
            m.fit(X, Y, epochs(0, 4));
            straight = m.getWeights();
        }
        assertResumesFromTheFile(false, straight, "optimizer/accumulator");
    }

    @Test
    void emaAndAccumulationResumedFromAFileEndBitIdenticalToFitsInOneProcess() throws IOException {
        // fit ends by writing the average over the weights (Keras's finalize_variable_values), so the reference
        // is the same two fits on one model in memory, not one fit of four epochs.
        List<float[]> inMemory;
        try (Sequential m = net(true, 3)) {
            m.fit(X, Y, epochs(0, 2));
            m.fit(X, Y, epochs(2, 4));
            inMemory = m.getWeights();
        }
        assertResumesFromTheFile(true, inMemory, "optimizer/ema");
    }

    /**
     * Fits 2 epochs, saves, loads and fits 2 more: the weights are {@code want}'s bits. The test can fail: the same
     * file without the options' state (as written before it was saved) loads, with nothing accumulated, and ends
     * elsewhere (with use_ema, fit ended with the weights at the average, so the average restarts right; the
     * accumulator does not).
     */
    private void assertResumesFromTheFile(boolean ema, List<float[]> want, String tensor) throws IOException {
        Path file = dir.resolve("m.dendrite");
        try (Sequential m = net(ema, 3)) {
            m.fit(X, Y, epochs(0, 2));
            m.save(file);
        }
        ModelFile.Contents c = ModelFile.read(file);
        assertTrue(c.weights().containsKey(tensor), c.weights().keySet().toString());
        assertTrue(c.configJson().contains("optimizer_counters"), c.configJson());
        for (Path p : List.of(file, withoutPlanState(file, "old.dendrite"))) {
            try (Sequential m = Sequential.load(p, cpu)) {
                m.fit(X, Y, epochs(2, 4));
                if (p == file) {
                    OptimizerStateFileTest.assertSameBits(want, m.getWeights());
                } else {
                    assertFalse(bits(want).equals(bits(m.getWeights())), "resumed without the accumulator");
                }
            }
        }
    }

    @Test
    void backupAndRestoreResumesTheAverageAndTheAccumulator() {
        List<float[]> straight;
        try (Sequential m = net(true, 3)) {
            m.fit(X, Y, epochs(0, 4));
            straight = m.getWeights();
        }
        for (String freq : List.of("epoch", "4")) {
            Path backup = dir.resolve("backup-" + freq);
            try (Sequential m = net(true, 3)) {
                BackupAndRestore b = new BackupAndRestore(backup, freq, true);
                assertThrows(IllegalStateException.class, () -> m.fit(X, Y, epochs(0, 4).callbacks(b,
                        LambdaCallback.onBatchEnd((batch, logs) -> {
                            if (m.engine().stepsDone() == 19) {
                                throw new IllegalStateException("crash after step 19");
                            }
                        }))));
                assertTrue(Files.exists(b.file()), "the crash leaves the backup");
            }
            try (Sequential m = net(true, 3)) {
                m.fit(X, Y, epochs(0, 4).callbacks(new BackupAndRestore(backup, freq, true)));
                OptimizerStateFileTest.assertSameBits(straight, m.getWeights());
            }
        }
    }

    @Test
    void stateThatDoesNotFitTheOptionsIsRefused() throws IOException {
        Path file = dir.resolve("m.dendrite");
        try (Sequential m = net(true, 0)) {
            m.fit(X, Y, epochs(0, 1));
            m.save(file);
        }
        ModelFile.Contents c = ModelFile.read(file);
        LinkedHashMap<String, TensorData> weights = c.weights();
        weights.put("optimizer/ema", new TensorData(new int[] {3}, new float[3]));
        Path shortEma = dir.resolve("short.dendrite");
        ModelFile.write(shortEma, c.configJson(), weights);
        IOException e = assertThrows(IOException.class, () -> Sequential.load(shortEma, cpu));
        assertTrue(e.getMessage().contains("optimizer/ema has 3 values"), e.getMessage());

        weights = ModelFile.read(file).weights();
        weights.put("optimizer/accumulator", weights.get("optimizer/ema"));
        Path extra = dir.resolve("extra.dendrite");
        ModelFile.write(extra, c.configJson(), weights);
        e = assertThrows(IOException.class, () -> Sequential.load(extra, cpu));
        assertTrue(e.getMessage().contains("optimizer/accumulator") && e.getMessage().contains("does not use"),
                e.getMessage());
    }

    /** The file as written before the options' state was saved: slots and iterations only. */
    @SuppressWarnings("unchecked")
    private Path withoutPlanState(Path file, String name) throws IOException {
        ModelFile.Contents c = ModelFile.read(file);
        LinkedHashMap<String, TensorData> weights = c.weights();
        weights.keySet().removeIf(k -> k.equals("optimizer/ema") || k.equals("optimizer/accumulator"));
        Map<String, Object> config = (Map<String, Object>) Json.parse(c.configJson());
        Map<String, Object> state = (Map<String, Object>) ((Map<String, Object>) config.get("compile"))
                .get("optimizer_state");
        state.remove("state");
        state.remove("optimizer_counters");
        Path old = dir.resolve(name);
        ModelFile.write(old, Json.write(config, true), weights);
        return old;
    }

    private static List<Integer> bits(List<float[]> weights) {
        List<Integer> out = new ArrayList<>();
        for (float[] w : weights) {
            for (float v : w) {
                out.add(Float.floatToRawIntBits(v));
            }
        }
        return out;
    }
}
