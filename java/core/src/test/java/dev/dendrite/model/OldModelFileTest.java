package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;

/**
 * A model file saved by Dendrite before the activation and preprocessing layers (commit 65bfcd4, written by
 * {@code bench/fixtures/OldModelFile.java}: Dense with an l2 penalty, BatchNormalization, a leaky_relu Activation
 * layer, Dropout, Dense softmax, trained two epochs with Adam) still loads, with its compile configuration and no
 * class names, and predicts bit for bit what it predicted then, on the same single-threaded CPU backend.
 */
class OldModelFileTest {
    @Test
    void aFileFromBeforeTheNewLayersLoadsAndPredictsTheSame(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("before-layers.safetensors");
        try (InputStream in = OldModelFileTest.class.getResourceAsStream("before-layers.safetensors")) {
            assertNotNull(in, "the fixture is on the test class path");
            Files.copy(in, file);
        }
        List<String> lines;
        try (InputStream in = OldModelFileTest.class.getResourceAsStream("before-layers-predictions.txt")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        float[] expected = new float[lines.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = Float.parseFloat(lines.get(i));
        }
        float[] x = new float[40 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 2;
        }
        try (CpuBackend cpu = new CpuBackend(1); Sequential m = Sequential.load(file, cpu)) {
            assertEquals("adam", m.optimizer().name().toLowerCase(java.util.Locale.ROOT));
            assertNull(m.classNames(), "the old file records no class names");
            assertArrayEquals(expected, m.predict(Tensor.wrap(x, 40, 4)).toArray());
        }
    }
}
