package dev.dendrite.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.Json;
import dev.dendrite.io.SvgChart;

/**
 * Draws {@code bench/run-cpu-scaling.sh}'s results: microseconds per training sample against batch size and
 * against layer width, two log-scale panels in one SVG, and prints them as a table.
 */
public final class ScalingChart {
    private ScalingChart() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/results");
        Path out = Path.of(args.length > 1 ? args[1] : "bench/results/cpu-scaling.svg");
        String batch = panel(dir, "batch", "batch size (784-512-512-10, Adam)");
        String width = panel(dir, "width", "width W (784-W-W-10, Adam, batch 128)");
        String doc = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"800\">\n"
                + batch.replaceFirst("<svg ", "<svg y=\"0\" ") + width.replaceFirst("<svg ", "<svg y=\"400\" ")
                + "</svg>\n";
        AtomicFiles.write(out, doc.getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + out);
    }

    @SuppressWarnings("unchecked")
    private static String panel(Path dir, String kind, String xLabel) throws IOException {
        TreeMap<Integer, Double> usPerSample = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith("cpu-scaling-" + kind + "-")).forEach(files::add);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            int value = Integer.parseInt(name.substring(("cpu-scaling-" + kind + "-").length(), name.length() - 5));
            Map<String, Object> r = (Map<String, Object>) Json.parse(Files.readString(f));
            double us = ((Number) r.get("median_epoch_s")).doubleValue() * 1e6
                    / ((Number) r.get("train_images")).doubleValue();
            usPerSample.put(value, us);
        }
        if (usPerSample.isEmpty()) {
            throw new IllegalArgumentException("no cpu-scaling-" + kind + "-*.json in " + dir
                    + "; run bench/run-cpu-scaling.sh first");
        }
        String[] labels = new String[usPerSample.size()];
        double[] x = new double[labels.length];
        double[] y = new double[labels.length];
        int i = 0;
        System.out.println(kind + ": value, microseconds per training sample");
        for (Map.Entry<Integer, Double> e : usPerSample.entrySet()) {
            labels[i] = Integer.toString(e.getKey());
            x[i] = i + 1;
            y[i] = e.getValue();
            System.out.printf("  %6d  %10.2f%n", e.getKey(), e.getValue());
            i++;
        }
        return new SvgChart("CPU training time per sample vs " + kind, xLabel, "us per sample", true)
                .xCategories(labels).series("Dendrite cpu", x, y).toSvg();
    }
}
