package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.model.Sequential;

/**
 * {@code train --label-smoothing S}: the model is compiled with categorical_crossentropy and that smoothing, trains
 * to a larger loss than without it (a smoothed target's cross-entropy is at least its entropy, above 0), is saved
 * with it, and {@code evaluate} reads it back; a bad value is named.
 */
class TrainLabelSmoothingCliTest {

    @Test
    void theSmoothedLossTrainsIsSavedAndEvaluatesAndABadValueIsRefused(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m.safetensors");
        Path plainCsv = dir.resolve("plain.csv");
        Path smoothCsv = dir.resolve("smooth.csv");
        for (String[] run : new String[][] {{"0", plainCsv.toString(), dir.resolve("p.safetensors").toString()},
                                            {"0.2", smoothCsv.toString(), model.toString()}}) {
            CliRun.Result r = CliRun.run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "1",
                    "--verbose", "0", "--label-smoothing", run[0], "--history", run[1], "-o", run[2]);
            assertEquals(0, r.code(), r.toString());
        }
        double plainLoss = loss(plainCsv);
        double smoothLoss = loss(smoothCsv);
        assertTrue(smoothLoss > plainLoss, "smoothed " + smoothLoss + " vs " + plainLoss);
        try (Sequential m = Sequential.load(model)) {
            assertEquals("categorical_crossentropy", m.loss().name());
            assertEquals(0.2, m.loss().labelSmoothing(), 1e-12);
        }
        CliRun.Result eval = CliRun.run("evaluate", "--sample", "--backend", "cpu", "-m", model.toString());
        assertEquals(0, eval.code(), eval.toString());
        assertTrue(eval.out().contains("test accuracy"), eval.toString());

        CliRun.Result bad = CliRun.run("train", "--sample", "--label-smoothing", "1", "-o",
                dir.resolve("no.st").toString());
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.out().contains("--label-smoothing 1.0; expected 0 (off) or a value below 1"), bad.toString());
        assertFalse(Files.exists(dir.resolve("no.st")));
    }

    /** The first epoch's training loss, from the history CSV (Keras's columns: epoch, then alphabetical). */
    private static double loss(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.get(0).split(","));
        return Double.parseDouble(lines.get(1).split(",")[header.indexOf("loss")]);
    }
}
