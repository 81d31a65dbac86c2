package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --tensorboard DIR} writes an event file under {@code DIR/train} and {@code DIR/validation} with the
 * epoch curves and the weights' histograms (TensorBoardTest and EventFileTest check their contents and encoding);
 * a file where the folder should be is refused before training.
 */
class TrainTensorBoardCliTest {
    private static String contents(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> all = files.collect(Collectors.toList());
            assertEquals(1, all.size(), all.toString());
            assertTrue(all.get(0).getFileName().toString().startsWith("events.out.tfevents."), all.toString());
            return new String(Files.readAllBytes(all.get(0)), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void trainWritesEventFilesForTensorBoard(@TempDir Path dir) throws IOException {
        Path logs = dir.resolve("logs");
        CliRun.Result r = CliRun.run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "2",
                "--verbose", "0", "--tensorboard", logs.toString(), "-o", dir.resolve("m.safetensors").toString());
        assertEquals(0, r.code(), r.toString());
        String train = contents(logs.resolve("train"));
        for (String tag : List.of("brain.Event:2", "epoch_loss", "epoch_accuracy", "epoch_learning_rate",
                "dense/kernel/histogram")) {
            assertTrue(train.contains(tag), "train events hold " + tag);
        }
        String val = contents(logs.resolve("validation"));
        assertTrue(val.contains("epoch_loss") && val.contains("evaluation_accuracy_vs_iterations"), "validation");

        Path file = dir.resolve("not-a-folder");
        Files.writeString(file, "x");
        r = CliRun.run("train", "--sample", "--tensorboard", file.toString(), "-o", dir.resolve("n.st").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.out().contains("--tensorboard " + file + " is a file"), r.toString());
    }
}
