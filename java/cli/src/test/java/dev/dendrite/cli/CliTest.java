package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it, on the bundled sample so that it is quick and needs no install. */
class CliTest {

    /** Runs the CLI, returning the exit code and everything it printed. */
    private static Object[] run(String... args) {
        CliRun.Result r = CliRun.run(args);
        return new Object[] {r.code(), r.out()};
    }

    @Test
    void trainEvaluatePredictOnTheBundledSample(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m.safetensors");
        Path history = dir.resolve("h.csv");
        Path plot = dir.resolve("curves.svg");
        Object[] train = run("train", "--sample", "--epochs", "2", "--layers", "32", "--backend", "cpu",
                "--verbose", "2", "-o", model.toString(), "--history", history.toString(), "--plot", plot.toString());
        String out = (String) train[1];
        assertEquals(0, train[0], out);
        assertTrue(out.contains("bundled sample"), out);
        assertTrue(out.contains("Epoch 2/2"), out);
        assertTrue(out.matches("(?s).*test accuracy: 0\\.\\d{4}.*"), out);
        assertTrue(Files.size(model) > 100_000);
        assertEquals(3, Files.readAllLines(history).size(), "header + 2 epochs");
        String svg = Files.readString(plot);
        assertTrue(svg.startsWith("<svg") && svg.contains("val_loss") && svg.contains("val_accuracy"), svg);
        assertTrue(javax.xml.parsers.DocumentBuilderFactory.newInstance().isNamespaceAware()
                || svg.endsWith("</svg>\n"));

        Object[] eval = run("evaluate", "--sample", "-m", model.toString(), "--backend", "cpu");
        assertEquals(0, eval[0], (String) eval[1]);
        assertTrue(((String) eval[1]).contains("test accuracy"), (String) eval[1]);
        Object[] report = run("evaluate", "--sample", "-m", model.toString(), "--backend", "cpu", "--report");
        String r = (String) report[1];
        assertEquals(0, report[0], r);
        assertTrue(r.contains("Trouser") && r.contains("weighted avg") && r.contains("confusion matrix"), r);

        // A bright trouser-like bar on a white page: auto mode must invert it, and the answer is a class name.
        BufferedImage img = new BufferedImage(90, 120, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 90, 120);
        g.setColor(new Color(20, 20, 60));
        g.fillRect(30, 10, 30, 100);
        g.dispose();
        Path png = dir.resolve("pic.png");
        ImageIO.write(img, "png", png.toFile());
        Object[] pred = run("predict", "-m", model.toString(), "--image", png.toString(), "--backend", "cpu");
        String p = (String) pred[1];
        assertEquals(0, pred[0], p);
        assertTrue(p.matches("(?s).*pic\\.png: [A-Za-z/ -]+ \\(\\d+\\.\\d%\\).*"), p);

        Path notImage = dir.resolve("notes.png");
        Files.writeString(notImage, "not a picture");
        Object[] bad = run("predict", "-m", model.toString(), "--image", notImage.toString(), "--backend", "cpu");
        assertEquals(1, bad[0]);
        assertTrue(((String) bad[1]).contains("notes.png"), (String) bad[1]);
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"train", "evaluate", "predict", "info"}) {
            Object[] r = run(cmd, "--help");
            assertEquals(0, r[0], cmd);
            assertTrue(((String) r[1]).contains("Usage: dendrite " + cmd), (String) r[1]);
        }
        String train = (String) run("train", "--help")[1];
        for (String option : new String[] {"--layers", "--activation", "--initializer", "--optimizer", "--lr",
            "--epochs", "--batch-size", "--validation", "--preprocess", "--backend", "--seed"}) {
            assertTrue(train.contains(option), option);
        }
    }

    @Test
    void badValuesAreNamed(@TempDir Path dir) {
        Object[] r = run("train", "--sample", "--activation", "rellu", "-o", dir.resolve("x").toString());
        assertEquals(Main.EXIT_USAGE, r[0], "an unknown name for a flag is a usage error: " + r[1]);
        assertTrue(((String) r[1]).contains("'rellu'"), (String) r[1]);
        Object[] missing = run("evaluate", "-m", dir.resolve("nope.safetensors").toString(), "--sample");
        assertEquals(1, missing[0]);
        assertTrue(((String) missing[1]).contains("nope.safetensors"), (String) missing[1]);
        assertFalse(Files.exists(dir.resolve("x")), "a failed run leaves no model file");
        Object[] info = run("info");
        assertEquals(0, info[0]);
        assertTrue(((String) info[1]).contains("cpu: available"), (String) info[1]);
    }
}
