package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --steps-per-execution N} reaches FitOptions.stepsPerExecution: the same training as one step at a
 * time (the history and the model file, byte for byte), and a bad N is named.
 */
class TrainStepsPerExecutionCliTest {
    @Test
    void stepsPerExecutionTrainTheSameAndABadCountIsRefused(@TempDir Path dir) throws IOException {
        for (String n : new String[] {"1", "7"}) {
            CliRun.Result r = CliRun.run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "2",
                    "--verbose", "0", "--steps-per-execution", n, "--history", dir.resolve(n + ".csv").toString(),
                    "-o", dir.resolve(n + ".safetensors").toString());
            assertEquals(0, r.code(), r.toString());
        }
        // epoch_time_s differs from run to run; the metrics before it must not
        assertEquals(withoutTimes(dir.resolve("1.csv")), withoutTimes(dir.resolve("7.csv")), "the history");
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("1.safetensors")),
                Files.readAllBytes(dir.resolve("7.safetensors"))), "the model file");

        CliRun.Result bad = CliRun.run("train", "--sample", "--steps-per-execution", "0", "-o",
                dir.resolve("no.st").toString());
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.out().contains("--steps-per-execution 0; expected 1 or more"), bad.toString());
        assertFalse(Files.exists(dir.resolve("no.st")));
    }

    private static String withoutTimes(Path csv) throws IOException {
        StringBuilder kept = new StringBuilder();
        java.util.List<String> lines = Files.readAllLines(csv);
        int timeColumn = java.util.Arrays.asList(lines.get(0).split(",")).indexOf("epoch_time_s");
        for (String line : lines) {
            String[] cells = line.split(",");
            for (int i = 0; i < cells.length; i++) {
                if (i != timeColumn) {
                    kept.append(cells[i]).append(',');
                }
            }
            kept.append('\n');
        }
        return kept.toString();
    }
}
