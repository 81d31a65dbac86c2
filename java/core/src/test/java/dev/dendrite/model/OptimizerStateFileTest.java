package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.io.ModelFile;
import dev.dendrite.io.TensorData;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;

/**
 * The optimizer's state travels in the model file: fit, save, load and fit on gives the same bits on the CPU as
 * one uninterrupted fit of the same epochs (Adam's moments, its step count and the dropout stream, which is keyed
 * by the step count, all continue); a file without the state still loads, with a fresh optimizer.
 */
class OptimizerStateFileTest extends CpuModelTestBase {
    @TempDir
    Path dir;

    private static final Object[] DATA = SequentialTest.blobs(100, 11);
    private static final Tensor X = (Tensor) DATA[0];
    private static final int[] Y = (int[]) DATA[1];

    private static Sequential net(String optimizer) {
        Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new BatchNormalization(), new Dropout(0.3),
                new Dense(3, "softmax")).backend(cpu);
        m.compile(optimizer, "sparse_categorical_crossentropy", "accuracy");
        return m;
    }

    private static FitOptions epochs(int from, int to) {
        return new FitOptions().initialEpoch(from).epochs(to).batchSize(16).verbose(0);
    }

    /** Every weight equal bit for bit. */
    static void assertSameBits(List<float[]> want, List<float[]> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            int[] a = new int[want.get(i).length];
            int[] b = new int[got.get(i).length];
            for (int k = 0; k < a.length; k++) {
                a[k] = Float.floatToRawIntBits(want.get(i)[k]);
            }
            for (int k = 0; k < b.length; k++) {
                b[k] = Float.floatToRawIntBits(got.get(i)[k]);
            }
            assertArrayEquals(a, b, "weight " + i);
        }
    }

    @Test
    void resumedFromAFileEndsBitIdenticalToOneFit() throws IOException {
        for (String opt : List.of("adam", "rmsprop", "sgd", "adagrad")) {
            List<float[]> straight;
            try (Sequential m = net(opt)) {
                m.fit(X, Y, epochs(0, 4));
                straight = m.getWeights();
            }
            Path file = dir.resolve(opt + ".dendrite");
            try (Sequential m = net(opt)) {
                m.fit(X, Y, epochs(0, 2));
                m.save(file);
            }
            try (Sequential m = Sequential.load(file, cpu)) {
                assertEquals(2 * 7, m.engine().stepsDone());
                m.fit(X, Y, epochs(2, 4));
                assertSameBits(straight, m.getWeights());
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aFileWithoutStateLoadsWithAFreshOptimizer() throws IOException {
        Path file = dir.resolve("m.dendrite");
        List<float[]> trained;
        try (Sequential m = net("adam")) {
            m.fit(X, Y, epochs(0, 1));
            trained = m.getWeights();
            m.save(file);
        }
        ModelFile.Contents c = ModelFile.read(file);
        assertTrue(c.weights().containsKey("optimizer/slot_0"));
        LinkedHashMap<String, TensorData> weights = c.weights();
        weights.keySet().removeIf(k -> k.startsWith("optimizer/"));
        Map<String, Object> config = (Map<String, Object>) Json.parse(c.configJson());
        ((Map<String, Object>) config.get("compile")).remove("optimizer_state");
        Path old = dir.resolve("old.dendrite");
        ModelFile.write(old, Json.write(config, true), weights);

        try (Sequential m = Sequential.load(old, cpu)) {
            assertEquals(0, m.engine().stepsDone());
            assertSameBits(trained, m.getWeights());
            LinkedHashMap<String, TensorData> slots = new LinkedHashMap<>();
            OptimizerState.save(m.engine(), slots);
            assertEquals(2, slots.size());
            for (TensorData slot : slots.values()) {
                for (float v : slot.values()) {
                    assertEquals(0f, v);
                }
            }
            m.fit(X, Y, epochs(1, 2));
        }
        // loadWeights reads a full model file's weights and leaves its optimizer slots aside
        try (Sequential m = net("adam")) {
            m.loadWeights(file);
            assertSameBits(trained, m.getWeights());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void stateThatDoesNotFitTheOptimizerIsRefused() throws IOException {
        Path file = dir.resolve("m.dendrite");
        try (Sequential m = net("adam")) {
            m.fit(X, Y, epochs(0, 1));
            m.save(file);
        }
        ModelFile.Contents c = ModelFile.read(file);
        LinkedHashMap<String, TensorData> weights = c.weights();
        weights.remove("optimizer/slot_1");
        Path bad = dir.resolve("bad.dendrite");
        ModelFile.write(bad, c.configJson(), weights);
        IOException e = assertThrows(IOException.class, () -> Sequential.load(bad, cpu));
        assertTrue(e.getMessage().contains("slots"), e.getMessage());
        assertFalse(new ArrayList<>(weights.keySet()).contains("optimizer/slot_1"));
    }
}
