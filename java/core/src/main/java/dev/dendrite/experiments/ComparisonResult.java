package dev.dendrite.experiments;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.data.Dataset;
import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.Json;
import dev.dendrite.model.History;
import dev.dendrite.plot.Chart;
import dev.dendrite.plot.Charts;

/**
 * The runs of a {@link Comparison}, in the order they were added, with the table, CSV, JSON, charts and HTML
 * report made from them.
 */
public final class ComparisonResult {
    private final Map<String, Object> setup;
    private final List<RunResult> runs;
    private final String[] classNames;
    private final Dataset test;

    ComparisonResult(Map<String, Object> setup, List<RunResult> runs, String[] classNames, Dataset test) {
        this.setup = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(setup));
        this.runs = List.copyOf(runs);
        this.classNames = classNames.clone();
        this.test = test;
    }

    /**
     * The result of runs trained elsewhere (e.g. as Spark tasks by dendrite-spark), for the same table, CSV, JSON
     * and charts as a local comparison; {@code test} is the test set the runs' predictions are of.
     */
    public static ComparisonResult of(Map<String, Object> setup, List<RunResult> runs, String[] classNames,
            Dataset test) {
        return new ComparisonResult(setup, runs, classNames, test);
    }

    public List<RunResult> runs() {
        return runs;
    }

    /** What every run shared: data, split sizes, preprocessing, seed, backend. */
    public Map<String, Object> setup() {
        return new LinkedHashMap<>(setup);
    }

    /** The run with the highest validation accuracy (the first, on ties). */
    public RunResult best() {
        return runs.stream().max(Comparator.comparingDouble(RunResult::bestValAccuracy)).orElseThrow();
    }

    /** Every run's history by run name, in order, for charts. */
    public Map<String, History> histories() {
        Map<String, History> m = new LinkedHashMap<>();
        runs.forEach(r -> m.put(r.name(), r.history()));
        return m;
    }

    private static final String[] COLUMNS = {"run", "best val_acc", "epoch", "test acc", "test loss",
        "final loss", "time s", "params"};

    private static String[] row(RunResult r) {
        return new String[] {r.name(), f4(r.bestValAccuracy()), Integer.toString(r.bestEpoch()), f4(r.testAccuracy()),
            f4(r.testLoss()), f4(r.finalLoss()), String.format(Locale.ROOT, "%.1f", r.seconds()),
            String.format(Locale.ROOT, "%,d", r.parameters())};
    }

    private static String f4(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : String.valueOf(v);
    }

    /** A plain-text table, one row per run: best validation accuracy and its epoch, test figures, time, size. */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(COLUMNS);
        runs.forEach(r -> rows.add(row(r)));
        int[] w = new int[COLUMNS.length];
        for (String[] row : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            for (int i = 0; i < w.length; i++) {
                String cell = rows.get(r)[i];
                String pad = " ".repeat(w[i] - cell.length());
                sb.append(i == 0 ? cell + pad : "  " + pad + cell);
            }
            sb.append('\n');
            if (r == 0) {
                int total = 0;
                for (int x : w) {
                    total += x + 2;
                }
                sb.append("-".repeat(total - 2)).append('\n');
            }
        }
        return sb.toString();
    }

    /** One CSV row per run: the table's figures in full precision, and the run's settings. */
    public String resultsCsv() {
        List<String> keys = new ArrayList<>();
        runs.forEach(r -> r.config().keySet().forEach(k -> {
            if (!keys.contains(k)) {
                keys.add(k);
            }
        }));
        keys.sort(Comparator.comparingInt(k -> RunConfig.KEYS.contains(k) ? RunConfig.KEYS.indexOf(k) : 99));
        StringBuilder sb = new StringBuilder("run,best_val_accuracy,best_epoch,test_accuracy,test_loss,final_loss,"
                + "seconds,parameters,model");
        keys.forEach(k -> sb.append(',').append(csv(k)));
        sb.append('\n');
        for (RunResult r : runs) {
            sb.append(csv(r.name())).append(',').append(r.bestValAccuracy()).append(',').append(r.bestEpoch())
                    .append(',').append(r.testAccuracy()).append(',').append(r.testLoss()).append(',')
                    .append(r.finalLoss()).append(',').append(r.seconds()).append(',').append(r.parameters())
                    .append(',').append(r.model() == null ? "" : csv(r.model().getFileName().toString()));
            for (String k : keys) {
                Object v = r.config().get(k);
                sb.append(',').append(v == null ? "" : csv(String.valueOf(v)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Every history in one long CSV: {@code run,epoch,} then every metric any run recorded. */
    public String historiesCsv() {
        List<String> metrics = new ArrayList<>();
        runs.forEach(r -> r.history().history().keySet().forEach(k -> {
            if (!metrics.contains(k)) {
                metrics.add(k);
            }
        }));
        StringBuilder sb = new StringBuilder("run,epoch");
        metrics.forEach(m -> sb.append(',').append(m));
        sb.append('\n');
        for (RunResult r : runs) {
            Map<String, List<Double>> h = r.history().history();
            List<Integer> epochs = r.history().epochs();
            for (int i = 0; i < epochs.size(); i++) {
                sb.append(csv(r.name())).append(',').append(epochs.get(i) + 1);
                for (String m : metrics) {
                    List<Double> col = h.get(m);
                    sb.append(',').append(col == null ? "" : String.valueOf(col.get(i)));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** The setup and every run (settings, figures, whole history) as JSON; NaN and infinities become null. */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("setup", setup());
        root.put("class_names", List.of(classNames));
        List<Object> list = new ArrayList<>();
        for (RunResult r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("config", new LinkedHashMap<>(r.config()));
            m.put("best_epoch", r.bestEpoch());
            m.put("best_val_accuracy", num(r.bestValAccuracy()));
            m.put("test_accuracy", num(r.testAccuracy()));
            m.put("test_loss", num(r.testLoss()));
            m.put("final_loss", num(r.finalLoss()));
            m.put("seconds", r.seconds());
            m.put("parameters", r.parameters());
            m.put("model", r.model() == null ? null : r.model().getFileName().toString());
            Map<String, Object> h = new LinkedHashMap<>();
            List<Object> epochs = new ArrayList<>();
            r.history().epochs().forEach(e -> epochs.add(e + 1));
            h.put("epoch", epochs);
            r.history().history().forEach((k, v) -> h.put(k, v.stream().map(ComparisonResult::num).toList()));
            m.put("history", h);
            list.add(m);
        }
        root.put("runs", list);
        return Json.writePretty(root) + "\n";
    }

    private static Object num(Double v) {
        return v == null || !Double.isFinite(v) ? null : v;
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Loss and accuracy of every run, training solid and validation dashed. */
    public Chart curvesChart() {
        return Charts.compareCurves(histories());
    }

    /** The validation accuracy of every run on one chart. */
    public Chart validationAccuracyChart() {
        Map<String, History> h = histories();
        var chart = new dev.dendrite.plot.LineChart("validation accuracy per epoch", "epoch", "val_accuracy");
        int colour = 0;
        for (Map.Entry<String, History> e : h.entrySet()) {
            History hist = e.getValue();
            chart.series(e.getKey(), hist.epochs().stream().mapToDouble(x -> x + 1).toArray(),
                    hist.get("val_accuracy").stream().mapToDouble(Double::doubleValue).toArray(), colour++, false);
        }
        return chart;
    }

    /** The best run's confusion matrix on the test set. */
    public Chart confusionChart() {
        RunResult b = best();
        return Charts.confusionMatrix("Test confusion matrix of " + b.name(), test.labels(), b.predictions(),
                classNames);
    }

    /** The first 30 test images with the best run's predictions, wrong ones marked. */
    public Chart samplesChart() {
        RunResult b = best();
        return Charts.samples("Test images and " + b.name() + "'s predictions", test.images(), test.labels(),
                b.predictions(), classNames, Math.min(30, test.size()));
    }

    /**
     * Writes {@code results.csv}, {@code histories.csv}, {@code histories.json}, the charts as PNG and SVG
     * ({@code curves}, {@code val_accuracy}, {@code learning_rate}, {@code confusion}, {@code samples}) and
     * {@code report.html}, which embeds everything and opens offline. Returns the files written.
     */
    public List<Path> writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        write(files, dir.resolve("results.csv"), resultsCsv());
        write(files, dir.resolve("histories.csv"), historiesCsv());
        write(files, dir.resolve("histories.json"), toJson());
        Map<String, Chart> charts = charts();
        for (Map.Entry<String, Chart> c : charts.entrySet()) {
            for (String ext : new String[] {".png", ".svg"}) {
                Path p = dir.resolve(c.getKey() + ext);
                c.getValue().write(p);
                files.add(p);
            }
        }
        write(files, dir.resolve("report.html"), HtmlReport.html(this, charts));
        return files;
    }

    Map<String, Chart> charts() {
        Map<String, Chart> m = new LinkedHashMap<>();
        m.put("curves", curvesChart());
        m.put("val_accuracy", validationAccuracyChart());
        m.put("learning_rate", Charts.learningRate(histories()));
        m.put("confusion", confusionChart());
        m.put("samples", samplesChart());
        return m;
    }

    private static void write(List<Path> files, Path p, String text) throws IOException {
        AtomicFiles.write(p, text.getBytes(StandardCharsets.UTF_8));
        files.add(p);
    }
}
