package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --lr-schedule cosine} and {@code --decay} reach the optimizer, as the history's learning_rate shows. */
class TrainLrScheduleTest {
    private static double[] learningRates(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        int col = Arrays.asList(lines.get(0).split(",")).indexOf("learning_rate");
        return lines.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[col])).toArray();
    }

    @Test
    void cosineDecaysToZeroOverTheRunAndDecayFollowsKeras2(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("h.csv");
        CliRun.Result r = CliRun.run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "2",
                "--verbose", "0", "--lr-schedule", "cosine", "--lr", "0.01", "--history", csv.toString(),
                "-o", dir.resolve("m.safetensors").toString());
        assertEquals(0, r.code(), r.toString());
        double[] lr = learningRates(csv);
        // Halfway through the run the cosine is at half the initial rate; at the end at 0 (alpha 0).
        assertEquals(0.005, lr[0], 1e-6, Arrays.toString(lr));
        assertEquals(0.0, lr[1], 1e-9, Arrays.toString(lr));

        r = CliRun.run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "1", "--verbose", "0",
                "--optimizer", "sgd", "--lr", "0.1", "--decay", "0.5", "--batch-size", "10000",
                "--history", csv.toString(), "-o", dir.resolve("m2.safetensors").toString());
        assertEquals(0, r.code(), r.toString());
        double[] decayed = learningRates(csv);
        assertEquals(0.1 / (1 + 0.5 * 1), decayed[0], 1e-7, Arrays.toString(decayed)); // one step taken
    }

    @Test
    void badValuesAndContradictionsNameTheFlag(@TempDir Path dir) {
        String out = dir.resolve("no.st").toString();
        CliRun.Result r = CliRun.run("train", "--sample", "--lr-schedule", "step", "-o", out);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.out().contains("--lr-schedule step"), r.toString());
        r = CliRun.run("train", "--sample", "--decay", "-1", "-o", out);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.out().contains("--decay -1"), r.toString());
        r = CliRun.run("train", "--sample", "--lr-schedule", "cosine", "--reduce-lr", "2", "-o", out);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.out().contains("--reduce-lr"), r.toString());
    }
}
