package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.io.AtomicFiles;
import dev.dendrite.plot.Charts;

/**
 * What {@link Sequential#fit} returns: one value per epoch for every metric, by Keras's names ({@code loss},
 * {@code accuracy}, {@code val_loss}, {@code val_accuracy}, {@code learning_rate}) plus {@code epoch_time_s},
 * the wall time of the epoch in seconds (validation included). The lists stay aligned with {@link #epochs()}: an
 * epoch that lacked a key (one that did not validate, by {@link FitOptions#validationFreq}) holds NaN there, where
 * Keras's lists would be shorter.
 */
public final class History {
    /**
     * The keys a fit's logs hold beyond Keras's metrics: bookkeeping, left out of the progress bar's lines and of
     * {@code trainOnBatch}'s result, as Keras has neither there.
     */
    public static final Set<String> BOOKKEEPING = Set.of("learning_rate", "epoch_time_s");

    private final Map<String, List<Double>> values = new LinkedHashMap<>();
    private final List<Integer> epochs = new ArrayList<>();
    private final Map<String, Object> params = new LinkedHashMap<>();

    /** Sets Keras's {@code params}: {@code verbose}, {@code epochs} and {@code steps} (batches per epoch). */
    public void setParams(int verbose, int epochs, int steps) {
        params.clear();
        params.putAll(CallbackList.params(verbose, epochs, steps));
    }

    /** Keras's {@code history.params}: the fit's {@code verbose}, {@code epochs} and {@code steps}. */
    public Map<String, Object> params() {
        return Collections.unmodifiableMap(params);
    }

    /** Keras's {@code history.epoch}: the same list as {@link #epochs()}. */
    public List<Integer> epoch() {
        return epochs();
    }

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

    /** Every metric, by name: Keras's {@code history.history}. */
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
     * Draws the train-vs-validation curves (loss, and accuracy when recorded, side by side; validation dashed)
     * to a PNG or SVG file, chosen by the name's ending ({@code .png} or {@code .svg}).
     *
     * @throws IllegalArgumentException if the name ends in neither
     */
    public void plot(Path file) throws IOException {
        Charts.trainingCurves(this).write(file);
    }

    /** Draws the train-vs-validation curves as SVG, whatever the file's name. */
    public void writeSvg(Path file) throws IOException {
        AtomicFiles.write(file, Charts.trainingCurves(this).toSvg().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Draws the train-vs-validation curves as PNG, whatever the file's name. */
    public void writePng(Path file) throws IOException {
        AtomicFiles.write(file, Charts.trainingCurves(this).toPng());
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
