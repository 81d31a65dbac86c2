package dev.dendrite.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

class ChartsTest {

    private static History history(int epochs, double lrDrop, long seed) {
        Random r = new Random(seed);
        History h = new History();
        double lr = 0.01;
        for (int e = 0; e < epochs; e++) {
            Map<String, Double> logs = new LinkedHashMap<>();
            logs.put("loss", 2.0 / (e + 1) + 0.05 * r.nextDouble());
            logs.put("accuracy", 0.5 + 0.4 * e / epochs);
            logs.put("val_loss", 2.1 / (e + 1) + 0.05 * r.nextDouble());
            logs.put("val_accuracy", 0.48 + 0.4 * e / epochs);
            logs.put("learning_rate", lr);
            lr *= lrDrop;
            h.record(e, logs);
        }
        return h;
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static int count(String text, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void trainingCurvesWriteARealPngAndWellFormedSvgFromOneDrawing(@TempDir Path dir) throws Exception {
        History h = history(12, 1, 1);
        Path png = dir.resolve("curves.PNG");
        Path svg = dir.resolve("curves.svg");
        h.plot(png);
        h.plot(svg);
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(bytes, 4), "PNG magic");
        BufferedImage img = ImageIO.read(png.toFile());
        Chart chart = Charts.trainingCurves(h);
        assertEquals((int) Math.ceil(chart.width() * Chart.PNG_SCALE), img.getWidth());
        assertEquals((int) Math.ceil(chart.height() * Chart.PNG_SCALE), img.getHeight());
        // The series colours are drawn: the blue of "loss" and the orange of "val_loss" both appear.
        assertTrue(hasColour(img, 0x1f77b4) && hasColour(img, 0xff7f0e), "series colours in the PNG");

        String text = Files.readString(svg);
        Document doc = parse(text);
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        for (String label : new String[] {"loss", "val_loss", "accuracy", "val_accuracy", "epoch"}) {
            assertTrue(text.contains(">" + label + "</text>"), label + " labelled");
        }
        // Two panels, each with one solid (train) and one dashed (validation) curve of 12 points.
        assertEquals(2, count(text, "stroke-dasharray=\"[^\"]+\" points=\"(\\S+ ){11}\\S+\""), text);
        assertEquals(2 + 2, count(text, "stroke-dasharray"), "and the val_ entries of the two legends");
        assertEquals(4, count(text, "<polyline fill=\"none\" stroke=\"#(1f77b4|ff7f0e)\" stroke-width=\"2\"[^>]*"
                + "points=\"(\\S+ ){11}\\S+\""), "four 12-point curves");
    }

    @Test
    void aValidationCurveJoinsTheEpochsThatValidated(@TempDir Path dir) throws Exception {
        // FitOptions.validationFreq(3) over 12 epochs: val_ keys after epochs 3, 6, 9 and 12 only (NaN between)
        History h = new History();
        for (int e = 0; e < 12; e++) {
            Map<String, Double> logs = new LinkedHashMap<>();
            logs.put("loss", 2.0 / (e + 1));
            if ((e + 1) % 3 == 0) {
                logs.put("val_loss", 2.1 / (e + 1));
            }
            h.record(e, logs);
        }
        Path svg = dir.resolve("freq.svg");
        h.plot(svg);
        String text = Files.readString(svg);
        // one dashed line through the four validated epochs, not four lone dots; the training curve has 12 points
        assertEquals(1, count(text, "stroke-dasharray=\"[^\"]+\" points=\"(\\S+ ){3}\\S+\""), text);
        assertEquals(1, count(text, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"[^>]*"
                + "points=\"(\\S+ ){11}\\S+\""), text);
    }

    @Test
    void theAccuracyCurveIsFoundUnderTheNameTheUserWrote(@TempDir Path dir) throws Exception {
        Random r = new Random(3);
        float[] x = new float[60 * 2];
        int[] y = new int[60];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 2;
            x[2 * i] = (float) (y[i] * 2 - 1 + 0.3 * r.nextGaussian());
            x[2 * i + 1] = (float) r.nextGaussian();
        }
        History h;
        try (CpuBackend cpu = new CpuBackend(1);
             Sequential m = new Sequential(new Input(2), new Dense(2, "softmax")).backend(cpu)) {
            m.compile("adam", "sparse_categorical_crossentropy", "acc");
            h = m.fit(Tensor.wrap(x, 60, 2), y, new FitOptions().epochs(3).batchSize(20).validationSplit(0.25)
                    .verbose(0));
        }
        assertTrue(h.history().containsKey("val_acc"), h.history().keySet().toString());
        Path svg = dir.resolve("acc.svg");
        h.plot(svg);
        String text = Files.readString(svg);
        for (String label : new String[] {"loss", "val_loss", "acc", "val_acc"}) {
            assertTrue(text.contains(">" + label + "</text>"), label + " labelled");
        }
        assertEquals(2, count(text, "stroke-dasharray=\"[^\"]+\" points=\"(\\S+ ){2}\\S+\""), "two panels");

        // Other accuracy names too; a top-k accuracy is not the accuracy curve; "accuracy" wins when recorded.
        assertEquals("categorical_accuracy", Charts.accuracyKey(List.of(keys("loss", "top_k_categorical_accuracy",
                "categorical_accuracy"))));
        assertEquals("accuracy", Charts.accuracyKey(List.of(keys("acc"), keys("val_accuracy"))));
        assertEquals(null, Charts.accuracyKey(List.of(keys("loss", "sparse_top_k_categorical_accuracy"))));
        Chart both = Charts.compareCurves(Map.of("a", keys("loss", "binary_accuracy")));
        assertTrue(both.toSvg().contains(">binary_accuracy</text>"), "compareCurves finds it too");
    }

    private static History keys(String... names) {
        History h = new History();
        Map<String, Double> logs = new LinkedHashMap<>();
        for (String n : names) {
            logs.put(n, 0.5);
        }
        h.record(0, logs);
        return h;
    }

    private static boolean hasColour(BufferedImage img, int rgb) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void compareGivesEachRunOneColourWithValidationDashed() throws Exception {
        Map<String, History> runs = new LinkedHashMap<>();
        runs.put("sigmoid & sgd", history(5, 1, 2));
        runs.put("relu", history(8, 1, 3));
        runs.put("selu", history(3, 1, 4));
        String svg = Charts.compare(runs, "accuracy").toSvg();
        parse(svg); // the '&' in a name is escaped
        assertTrue(svg.contains(">sigmoid &amp; sgd</text>"));
        for (String colour : new String[] {"#1f77b4", "#ff7f0e", "#2ca02c"}) {
            assertEquals(1, count(svg, "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" "
                    + "stroke-linejoin=\"round\" stroke-linecap"), colour + " solid once");
            assertEquals(1, count(svg, "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" "
                    + "stroke-linejoin=\"round\" stroke-dasharray"), colour + " dashed once");
        }
        assertTrue(svg.contains(">train</text>") && svg.contains(">validation</text>"), "style key");
        assertThrows(IllegalArgumentException.class, () -> Charts.compare(runs, "mae"));
        // Two runs with the same curve (neither learns): the earlier is drawn wider, so both stay visible.
        Map<String, History> same = new LinkedHashMap<>();
        same.put("zeros, sgd", history(4, 1, 11));
        same.put("zeros, adam", history(4, 1, 11));
        String twin = Charts.compare(same, "loss").toSvg();
        assertEquals(1, count(twin, "stroke=\"#1f77b4\" stroke-width=\"4.50\" stroke-linejoin=\"round\" "
                + "stroke-linecap"), twin);
        assertEquals(1, count(twin, "stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-linejoin=\"round\" "
                + "stroke-linecap"), twin);
    }

    @Test
    void learningRateGoesLogarithmicWhenItSpansMoreThanAFactorOfTen() {
        Map<String, History> runs = new LinkedHashMap<>();
        runs.put("flat", history(6, 1, 5));
        assertTrue(!Charts.learningRate(runs).toSvg().contains("(log scale)"));
        runs.put("decay", history(6, 0.3, 6)); // 0.01 down to 0.01 * 0.3^5 = 2.4e-5
        String svg = Charts.learningRate(runs).toSvg();
        assertTrue(svg.contains("learning rate (log scale)"), svg);
        assertTrue(svg.contains(">1e-4</text>") && svg.contains(">0.01</text>") && !svg.contains(">1e-5</text>"), "decade ticks inside the data");
        // One run's curves get a third panel for the rate only when it changed.
        assertEquals(2 * 600, Charts.trainingCurves(runs.get("flat")).width());
        Chart three = Charts.trainingCurves(runs.get("decay"));
        assertEquals(3 * 600, three.width());
        assertTrue(three.toSvg().contains(">learning_rate</text>"));
    }

    @Test
    void writeRejectsAnUnknownEndingNamingTheFile(@TempDir Path dir) {
        Path bad = dir.resolve("curves.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Charts.trainingCurves(history(3, 1, 7)).write(bad));
        assertTrue(e.getMessage().contains("curves.jpg") && e.getMessage().contains(".png"), e.getMessage());
        assertTrue(!Files.exists(bad));
    }

    @Test
    void confusionCountsMatchAnIndependentTallyAndBadLabelsAreNamed() throws Exception {
        Random r = new Random(8);
        int n = 500;
        int k = 4;
        int[] truth = new int[n];
        int[] pred = new int[n];
        for (int i = 0; i < n; i++) {
            truth[i] = r.nextInt(k);
            pred[i] = r.nextDouble() < 0.7 ? truth[i] : r.nextInt(k);
        }
        int[][] m = ConfusionMatrixChart.count(truth, pred, k);
        long diagonal = 0;
        for (int c = 0; c < k; c++) {
            final int cc = c;
            for (int p = 0; p < k; p++) {
                final int pp = p;
                long expected = java.util.stream.IntStream.range(0, n).filter(i -> truth[i] == cc && pred[i] == pp)
                        .count();
                assertEquals(expected, m[c][p], "cell " + c + "," + p);
            }
            diagonal += m[c][c];
        }
        String[] names = {"T-shirt/top", "Trouser", "Pullover", "Ankle boot"};
        String svg = Charts.confusionMatrix("test", truth, pred, names).toSvg();
        parse(svg);
        assertTrue(svg.contains(String.format(java.util.Locale.ROOT, "accuracy %.4f", diagonal / (double) n)), svg);
        for (String name : names) {
            assertEquals(2, count(svg, ">" + Pattern.quote(name) + "</text>"), name + " on both axes");
        }
        pred[17] = 9;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfusionMatrixChart.count(truth, pred, k));
        assertTrue(e.getMessage().contains("sample 17") && e.getMessage().contains("9"), e.getMessage());
    }

    @Test
    void imageGridFramesExactlyTheWrongPredictions() throws Exception {
        int count = 12;
        byte[] pixels = new byte[count * 28 * 28];
        new Random(9).nextBytes(pixels);
        ByteTensor images = ByteTensor.wrap(pixels, count, 28, 28);
        int[] truth = new int[count];
        int[] pred = new int[count];
        int wrong = 0;
        for (int i = 0; i < count; i++) {
            truth[i] = i % 10;
            pred[i] = i % 3 == 0 ? (i + 1) % 10 : i % 10;
            wrong += pred[i] != truth[i] ? 1 : 0;
        }
        String[] names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
            "Ankle boot"};
        ImageGridChart chart = Charts.samples("samples", images, truth, pred, names, count);
        String svg = chart.toSvg();
        parse(svg);
        assertEquals(count, count(svg, "<image "), "one picture per sample");
        assertEquals(wrong, count(svg, "stroke=\"#d62728\" stroke-width=\"3\""), "a red frame per wrong prediction");
        assertEquals(wrong, count(svg, ">true: "), "the true class beside each wrong prediction");
        assertTrue(svg.contains("wrong (" + wrong + " of " + count + ")"));
        BufferedImage img = chart.toImage();
        assertTrue(hasColour(img, 0xd62728), "red frames in the PNG");
        // The first picture is the first sample, inverted (dark ink on white): decode the embedded PNG.
        Matcher m = Pattern.compile("base64,([A-Za-z0-9+/=]+)").matcher(svg);
        assertTrue(m.find());
        BufferedImage first = ImageIO.read(new ByteArrayInputStream(java.util.Base64.getDecoder().decode(m.group(1))));
        for (int p = 0; p < 28 * 28; p += 97) {
            assertEquals(255 - (pixels[p] & 0xff), first.getRaster().getSample(p % 28, p / 28, 0), "pixel " + p);
        }
        assertThrows(IllegalArgumentException.class,
                () -> Charts.samples("x", images, truth, pred, names, count + 1));
    }

    @Test
    void ticksAreRoundAndCoverTheData() throws IOException {
        Random r = new Random(10);
        for (int t = 0; t < 200; t++) {
            double lo = (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(6) - 3);
            double hi = lo + r.nextDouble() * Math.pow(10, r.nextInt(6) - 3) + 1e-9;
            double[] ticks = Ticks.linear(lo, hi, 6);
            assertTrue(ticks[0] <= lo && ticks[ticks.length - 1] >= hi, lo + ".." + hi);
            assertTrue(ticks.length >= 2 && ticks.length <= 13, "tick count " + ticks.length);
            double step = ticks[1] - ticks[0];
            double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-12));
            assertTrue(java.util.stream.DoubleStream.of(1, 2, 2.5, 5, 10).anyMatch(x -> Math.abs(x - mantissa) < 1e-6),
                    "round step " + step);
        }
        assertEquals("0.25", Ticks.label(0.25));
        assertEquals("1e-4", Ticks.label(1e-4));
        assertEquals("2000", Ticks.label(2000));
    }
}
