package dev.dendrite.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.io.Json;
import dev.dendrite.io.SvgChart;

/**
 * Draws the CPU peer results ({@code bench/results/cpu-<network>-peers.json}, written by
 * {@code bench/run-cpu-peers.sh}) as one SVG chart: median epoch time per network, one line per system, on a
 * logarithmic axis.
 *
 * <pre>
 * java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.ResultsChart bench/results bench/results/cpu-epochs.svg
 * </pre>
 */
public final class ResultsChart {
    private ResultsChart() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/results");
        Path out = Path.of(args.length > 1 ? args[1] : "bench/results/cpu-epochs.svg");
        List<String> networks = new ArrayList<>();
        Map<String, Map<String, Double>> bySystem = new LinkedHashMap<>();
        for (String network : new String[] {"mlp512", "bn256", "mlp1024", "wide4096"}) {
            Path f = dir.resolve("cpu-" + network + "-peers.json");
            if (!Files.exists(f)) {
                continue;
            }
            Map<String, Object> r = (Map<String, Object>) Json.parse(Files.readString(f));
            networks.add(network);
            bySystem.computeIfAbsent("Dendrite cpu", k -> new LinkedHashMap<>())
                    .put(network, ((Number) r.get("dendrite_median_epoch_s")).doubleValue());
            Map<String, Object> dl4j = (Map<String, Object>) r.get("dl4j");
            for (Map.Entry<String, Object> e : dl4j.entrySet()) {
                Map<String, Object> c = (Map<String, Object>) e.getValue();
                bySystem.computeIfAbsent("DL4J " + e.getKey(), k -> new LinkedHashMap<>())
                        .put(network, ((Number) c.get("median_epoch_s")).doubleValue());
            }
        }
        if (networks.isEmpty()) {
            throw new IllegalArgumentException("no cpu-<network>-peers.json in " + dir
                    + "; run bench/run-cpu-peers.sh first");
        }
        SvgChart chart = new SvgChart("CPU epoch time, 50,000 images (lower is better)", "network",
                "median epoch, s", true).xCategories(networks.toArray(new String[0]));
        double[] x = new double[networks.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        for (Map.Entry<String, Map<String, Double>> e : bySystem.entrySet()) {
            double[] y = new double[x.length];
            Arrays.fill(y, Double.NaN);
            for (int i = 0; i < x.length; i++) {
                Double v = e.getValue().get(networks.get(i));
                if (v != null) {
                    y[i] = v;
                }
            }
            chart.series(e.getKey(), x, y);
        }
        chart.write(out);
        System.out.println("wrote " + out);
    }
}
