package dev.dendrite.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.SGD;

/** The regression losses' names, the model file's Huber delta, and the errors for bad arguments. */
class RegressionLossesTest {
    @Test
    void kerassNamesGiveTheLosses() {
        assertInstanceOf(MeanAbsoluteError.class, Loss.fromName("mae"));
        assertInstanceOf(MeanAbsoluteError.class, Loss.fromName("mean_absolute_error"));
        assertEquals(Map.of("delta", 1.0), Loss.fromName("huber").config());
        assertEquals(Map.of(), Loss.fromName("mse").config());
        assertInstanceOf(LogCosh.class, Loss.fromName("log_cosh"));
        assertInstanceOf(LogCosh.class, Loss.fromName("logcosh")); // Keras 2's name
        assertInstanceOf(LogCosh.class, Loss.fromConfig("log_cosh", false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Loss.fromName("hubber"));
        assertTrue(e.getMessage().contains("huber") && e.getMessage().contains("mae"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Huber(0));
        assertTrue(e.getMessage().contains("delta 0.0"), e.getMessage());
    }

    @Test
    void theModelFileKeepsHubersDelta(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("huber.safetensors");
        try (Sequential m = new Sequential(new Input(3), new Dense(2))) {
            m.compile(new SGD(0.1), new Huber(0.3));
            m.save(file);
        }
        try (Sequential back = Sequential.load(file)) {
            assertInstanceOf(Huber.class, back.loss());
            assertEquals(Map.of("delta", (double) 0.3f), back.loss().config());
        }
    }
}
