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
 * Draws scaling results, {@code <backend>-scaling-batch-<B>.json} and {@code <backend>-scaling-width-<W>.json}
 * (written by {@code bench/run-cpu-scaling.sh}, and on the GPU machine by {@code bench/gpu/run-on-gpu.sh}'s scaling
 * stage): microseconds per training sample against batch size and against layer width, two log-scale panels in
 * one SVG with one line per backend, and prints them as a table.
 *
 * <pre>
 * java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.ScalingChart DIR OUT.svg [BACKEND ...]   (default: cpu)
 * </pre>
 */
public final class ScalingChart {
    private ScalingChart() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/results");
        Path out = Path.of(args.length > 1 ? args[1] : "bench/results/cpu-scaling.svg");
        List<String> backends = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("cpu");
        String batch = panel(dir, backends, "batch", "batch size (784-512-512-10, Adam)");
        String width = panel(dir, backends, "width", "width W (784-W-W-10, Adam, batch 128)");
        String doc = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"800\">\n"
                + batch.replaceFirst("<svg ", "<svg y=\"0\" ") + width.replaceFirst("<svg ", "<svg y=\"400\" ")
                + "</svg>\n";
        AtomicFiles.write(out, doc.getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + out);
    }

    /** Microseconds per training sample by swept value, from {@code <backend>-scaling-<kind>-*.json}. */
    @SuppressWarnings("unchecked")
    private static TreeMap<Integer, Double> points(Path dir, String backend, String kind) throws IOException {
        String prefix = backend + "-scaling-" + kind + "-";
        TreeMap<Integer, Double> usPerSample = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".json"))
                    .forEach(files::add);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            int value = Integer.parseInt(name.substring(prefix.length(), name.length() - 5));
            Map<String, Object> r = (Map<String, Object>) Json.parse(Files.readString(f));
            double us = ((Number) r.get("median_epoch_s")).doubleValue() * 1e6
                    / ((Number) r.get("train_images")).doubleValue();
            usPerSample.put(value, us);
        }
        if (usPerSample.isEmpty()) {
            throw new IllegalArgumentException("no " + prefix + "*.json in " + dir
                    + "; run bench/run-cpu-scaling.sh (or the GPU scaling stage) first");
        }
        return usPerSample;
    }

    private static String panel(Path dir, List<String> backends, String kind, String xLabel) throws IOException {
        List<TreeMap<Integer, Double>> all = new ArrayList<>();
        java.util.TreeSet<Integer> values = new java.util.TreeSet<>();
        for (String b : backends) {
            TreeMap<Integer, Double> p = points(dir, b, kind);
            all.add(p);
            values.addAll(p.keySet());
        }
        List<Integer> axis = new ArrayList<>(values);
        String[] labels = new String[axis.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = Integer.toString(axis.get(i));
        }
        SvgChart chart = new SvgChart("Training time per sample vs " + kind, xLabel, "us per sample", true)
                .xCategories(labels);
        System.out.println(kind + ": value, microseconds per training sample (" + String.join(", ", backends) + ")");
        for (int bi = 0; bi < backends.size(); bi++) {
            TreeMap<Integer, Double> p = all.get(bi);
            double[] x = new double[p.size()];
            double[] y = new double[p.size()];
            int i = 0;
            for (Map.Entry<Integer, Double> e : p.entrySet()) {
                x[i] = axis.indexOf(e.getKey()) + 1;
                y[i] = e.getValue();
                i++;
            }
            chart.series("Dendrite " + backends.get(bi), x, y);
        }
        for (int v : axis) {
            StringBuilder row = new StringBuilder(String.format("  %6d", v));
            for (TreeMap<Integer, Double> p : all) {
                Double us = p.get(v);
                row.append(us == null ? String.format("  %10s", "-") : String.format("  %10.2f", us));
            }
            System.out.println(row);
        }
        return chart.toSvg();
    }
}
