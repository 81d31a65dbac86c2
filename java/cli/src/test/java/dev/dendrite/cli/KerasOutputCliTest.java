package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dendrite train -o model.keras} writes Keras 3's own file (config.json, model.weights.h5, metadata.json),
 * and {@code evaluate} and {@code predict} read it back with the preprocessing train fitted and the class names
 * (kept in metadata.json, where Keras does not look): evaluate prints train's own test numbers, without the warning
 * about unrecorded preprocessing.
 */
class KerasOutputCliTest {

    @Test
    void aModelTrainedToAKerasFileEvaluatesAsTrainSaid(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.keras");
        CliRun.Result train = CliRun.run("train", "--sample", "--epochs", "1", "--layers", "16", "--preprocess",
                "standardize", "--backend", "cpu", "--verbose", "0", "-o", file.toString());
        assertEquals(0, train.code(), train.toString());
        Matcher m = Pattern.compile("Test loss: ([0-9.]+) - test accuracy: ([0-9.]+)").matcher(train.out());
        assertTrue(m.find(), train.toString());
        try (ZipFile zip = new ZipFile(file.toFile()); InputStream config =
                zip.getInputStream(zip.getEntry("config.json"))) {
            assertTrue(new String(config.readAllBytes()).contains("\"module\": \"keras.layers\""), "Keras's config");
            assertTrue(zip.getEntry("model.weights.h5") != null && zip.getEntry("metadata.json") != null);
        }

        CliRun.Result eval = CliRun.run("evaluate", "--sample", "-m", file.toString(), "--backend", "cpu");
        assertEquals(0, eval.code(), eval.toString());
        assertFalse(eval.out().contains("warning"), eval.toString());
        assertTrue(eval.out().contains("test loss: " + m.group(1) + " - test accuracy: " + m.group(2)),
                train + " vs " + eval);
    }
}
