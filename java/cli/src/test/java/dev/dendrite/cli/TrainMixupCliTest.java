package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --mixup ALPHA} reaches FitOptions.mixup: it changes training, and a bad alpha is named. */
class TrainMixupCliTest {
    private static String lossLine(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        return lines.get(1);
    }

    @Test
    void mixupTrainsOtherwiseAndABadAlphaIsRefused(@TempDir Path dir) throws IOException {
        Path plain = dir.resolve("plain.csv");
        Path mixed = dir.resolve("mixed.csv");
        for (String[] run : new String[][] {{"0", plain.toString()}, {"0.2", mixed.toString()}}) {
            CliRun.Result r = CliRun.run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "1",
                    "--verbose", "0", "--mixup", run[0], "--history", run[1],
                    "-o", dir.resolve("m" + run[0] + ".safetensors").toString());
            assertEquals(0, r.code(), r.toString());
        }
        assertNotEquals(lossLine(plain), lossLine(mixed), "--mixup 0.2 trained exactly as without it");

        CliRun.Result bad = CliRun.run("train", "--sample", "--mixup", "-1", "-o", dir.resolve("no.st").toString());
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.out().contains("--mixup -1.0; expected 0 (off) or an alpha"), bad.toString());
        assertFalse(Files.exists(dir.resolve("no.st")));
    }
}
