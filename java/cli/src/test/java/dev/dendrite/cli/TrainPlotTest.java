package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --plot} by file ending, and the recipe's flags (--reduce-lr, --early-stopping-monitor). */
class TrainPlotTest {

    private static Object[] run(String... args) {
        CliRun.Result r = CliRun.run(args);
        return new Object[] {r.code(), r.out()};
    }

    @Test
    void plotPngIsARealPngAndTheRecipeFlagsReachTheCallbacks(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("curves.png");
        Path csv = dir.resolve("h.csv");
        Object[] r = run("train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "4", "--verbose", "2",
                "--initializer", "zeros", "--optimizer", "sgd", "--learning-rate", "0.000001", "--reduce-lr", "1", "--reduce-lr-factor", "0.5", "--early-stopping", "9",
                "--early-stopping-monitor", "val_accuracy", "--history", csv.toString(), "--plot", png.toString(),
                "-o", dir.resolve("m.safetensors").toString());
        String out = (String) r[1];
        assertEquals(0, r[0], out);
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));
        // All-zero weights at a tiny rate do not learn (val_loss stays at ln 10), so ReduceLROnPlateau halves the rate.
        List<String> lines = Files.readAllLines(csv);
        int col = Arrays.asList(lines.get(0).split(",")).indexOf("learning_rate");
        double first = Double.parseDouble(lines.get(1).split(",")[col]);
        double last = Double.parseDouble(lines.get(lines.size() - 1).split(",")[col]);
        assertEquals(1e-6, first, 0.0);
        assertTrue(last < first && out.contains("ReduceLROnPlateau reducing learning rate"), out);
    }

    @Test
    void badPlotNamesAndMonitorsFailBeforeTraining(@TempDir Path dir) {
        Object[] r = run("train", "--sample", "--backend", "cpu", "--plot", dir.resolve("curves.jpg").toString());
        assertEquals(2, r[0], (String) r[1]); // a usage error, like every other bad flag value
        assertTrue(((String) r[1]).contains("curves.jpg") && ((String) r[1]).contains(".png"), (String) r[1]);
        assertFalse(((String) r[1]).contains("Data:"), "fails before loading data");
        r = run("train", "--sample", "--backend", "cpu", "--early-stopping", "2", "--early-stopping-monitor", "val_acc");
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("--early-stopping-monitor val_acc;"), (String) r[1]);
    }
}
