package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.SvgChart;

/**
 * What {@link Sequential#fit} returns: one value per epoch for every metric, by Keras's names ({@code loss},
 * {@code accuracy}, {@code val_loss}, {@code val_accuracy}, {@code learning_rate}) plus {@code epoch_time_s},
 * the wall time of the epoch in seconds (validation included).
 */
public final class History {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();
    private final List<Integer> epochs = new ArrayList<>();

    /** Records the logs of one finished epoch. */
    public void record(int epoch, Map<String, Double> logs) {
        int row = epochs.size();
        epochs.add(epoch);
        for (Map.Entry<String, Double> e : logs.entrySet()) {
            List<Double> column = values.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
            while (column.size() < row) {
                column.add(Double.NaN);
            }
            column.add(e.getValue());
        }
        for (List<Double> column : values.values()) {
            while (column.size() < epochs.size()) {
                column.add(Double.NaN);
            }
        }
    }

    /** Epoch numbers (0-based), in the order they ran. */
    public List<Integer> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** Every metric, by name. */
    public Map<String, List<Double>> history() {
        Map<String, List<Double>> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(k, Collections.unmodifiableList(v)));
        return Collections.unmodifiableMap(copy);
    }

    /**
     * One metric per epoch.
     *
     * @throws IllegalArgumentException naming the metric and the ones recorded
     */
    public List<Double> get(String metric) {
        List<Double> v = values.get(metric);
        if (v == null) {
            throw new IllegalArgumentException("no metric '" + metric + "' in the history; recorded: "
                    + values.keySet());
        }
        return Collections.unmodifiableList(v);
    }

    /** The last recorded value of a metric. */
    public double last(String metric) {
        List<Double> v = get(metric);
        if (v.isEmpty()) {
            throw new IllegalStateException("metric '" + metric + "' has no values yet");
        }
        return v.get(v.size() - 1);
    }

    /** CSV with a header {@code epoch,loss,...}: one row per epoch, ready to plot train-vs-validation curves. */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("epoch");
        for (String k : values.keySet()) {
            sb.append(',').append(k);
        }
        sb.append('\n');
        for (int i = 0; i < epochs.size(); i++) {
            sb.append(epochs.get(i) + 1);
            for (List<Double> column : values.values()) {
                sb.append(',').append(column.get(i));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes {@link #toCsv()} to a file atomically. */
    public void writeCsv(Path file) throws IOException {
        AtomicFiles.write(file, toCsv().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Writes the train-vs-validation curves as an SVG chart (open it in a browser): loss and {@code val_loss},
     * and accuracy and {@code val_accuracy} when recorded, two panels in one file.
     */
    public void writeSvg(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        String[][] panels = {{"loss", "val_loss"}, {"accuracy", "val_accuracy"}};
        int shown = 0;
        for (String[] panel : panels) {
            if (!values.containsKey(panel[0])) {
                continue;
            }
            SvgChart chart = new SvgChart(panel[0] + " per epoch", "epoch", panel[0], false);
            for (String key : panel) {
                if (values.containsKey(key)) {
                    chart.series(key, epochAxis(), values.get(key).stream().mapToDouble(Double::doubleValue).toArray());
                }
            }
            String svg = chart.toSvg();
            // Stack the panels: each chart is a nested <svg> placed below the previous one.
            sb.append(svg.replaceFirst("<svg ", "<svg y=\"" + (400 * shown) + "\" "));
            shown++;
        }
        String doc = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"" + (400 * Math.max(1, shown))
                + "\">\n" + sb + "</svg>\n";
        AtomicFiles.write(file, doc.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private double[] epochAxis() {
        double[] x = new double[epochs.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = epochs.get(i) + 1;
        }
        return x;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
