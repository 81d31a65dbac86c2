package dev.dendrite.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.model.History;

/**
 * The course's pictures from a {@link History} or from predictions, each a {@link Chart} to write as PNG or SVG:
 * <pre>{@code
 * Charts.trainingCurves(history).write(Path.of("curves.png"));
 * Charts.compare(Map.of("relu", h1, "sigmoid", h2), "accuracy").write(Path.of("runs.svg"));
 * }</pre>
 */
public final class Charts {
    private Charts() {
    }

    /**
     * Train (solid) against validation (dashed) loss, and accuracy beside it when recorded: one run. When the
     * learning rate changed during training (ReduceLROnPlateau, a schedule), a third panel shows it.
     */
    public static Chart trainingCurves(History history) {
        List<Chart> panels = new ArrayList<>();
        panels.add(curves(history, "loss"));
        String accuracy = accuracyKey(List.of(history));
        if (accuracy != null) {
            panels.add(curves(history, accuracy));
        }
        if (history.history().containsKey("learning_rate")
                && history.get("learning_rate").stream().distinct().count() > 1) {
            panels.add(learningRate(Map.of("learning_rate", history)).size(600, 400));
        }
        return panels.size() == 1 ? panels.get(0) : Chart.grid(panels.size(), panels.toArray(new Chart[0]));
    }

    private static LineChart curves(History history, String metric) {
        LineChart chart = new LineChart(metric + " per epoch", "epoch", metric).size(600, 400);
        // Legend names are the history's keys, as in the notebooks' pd.DataFrame(history.history).plot().
        chart.series(metric, epochs(history), values(history, metric), 0, false);
        String val = "val_" + metric;
        if (history.history().containsKey(val)) {
            double[][] v = validated(epochs(history), values(history, val));
            chart.series(val, v[0], v[1], 1, true);
        }
        return chart;
    }

    /**
     * Several runs on one chart, one colour per run: the training {@code metric} solid and its validation
     * counterpart dashed, in the order of the map.
     *
     * @throws IllegalArgumentException if no run recorded {@code metric}
     */
    public static LineChart compare(Map<String, History> runs, String metric) {
        LineChart chart = new LineChart(metric + " per epoch", "epoch", metric);
        int colour = 0;
        boolean anyVal = false;
        boolean any = false;
        for (Map.Entry<String, History> run : runs.entrySet()) {
            Map<String, List<Double>> h = run.getValue().history();
            if (h.containsKey(metric)) {
                chart.series(run.getKey(), epochs(run.getValue()), values(run.getValue(), metric), colour, false);
                any = true;
            }
            if (h.containsKey("val_" + metric)) {
                String name = h.containsKey(metric) ? null : run.getKey();
                double[][] v = validated(epochs(run.getValue()), values(run.getValue(), "val_" + metric));
                chart.series(name, v[0], v[1], colour, true);
                anyVal = true;
                any = true;
            }
            colour++;
        }
        if (!any) {
            throw new IllegalArgumentException("no run recorded '" + metric + "' or 'val_" + metric + "'");
        }
        chart.styleKey("train", false);
        if (anyVal) {
            chart.styleKey("validation", true);
        }
        return chart;
    }

    /** Validation (dashed) and training (solid) loss and accuracy of several runs, the two charts side by side. */
    public static Chart compareCurves(Map<String, History> runs) {
        String acc = accuracyKey(runs.values());
        return acc != null ? Chart.grid(2, compare(runs, "loss").size(640, 440), compare(runs, acc).size(640, 440))
                : compare(runs, "loss");
    }

    /**
     * The key of the accuracy curve under the name the user wrote in {@code compile} ({@code accuracy},
     * {@code acc}, {@code categorical_accuracy}, ...): {@code accuracy} when recorded, else the first recorded key
     * that names an accuracy other than a top-k one; null when none does.
     */
    static String accuracyKey(Iterable<History> runs) {
        String found = null;
        for (History h : runs) {
            for (String key : h.history().keySet()) {
                String name = key.startsWith("val_") ? key.substring(4) : key;
                if (name.equals("accuracy")) {
                    return name;
                }
                boolean accuracy = name.equals("acc") || name.endsWith("accuracy") && !name.contains("top_k");
                if (found == null && accuracy) {
                    found = name;
                }
            }
        }
        return found;
    }

    /**
     * The learning rate each epoch trained with, one line per run; logarithmic when it spans a factor over 10.
     */
    public static LineChart learningRate(Map<String, History> runs) {
        LineChart chart = new LineChart("learning rate per epoch", "epoch", "learning rate");
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        int colour = 0;
        for (Map.Entry<String, History> run : runs.entrySet()) {
            if (run.getValue().history().containsKey("learning_rate")) {
                double[] lr = values(run.getValue(), "learning_rate");
                for (double v : lr) {
                    if (v > 0) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
                chart.series(run.getKey(), epochs(run.getValue()), lr, colour, false);
            }
            colour++;
        }
        return chart.logY(hi > 10 * lo);
    }

    /** One run's learning rate per epoch. */
    public static LineChart learningRate(History history) {
        return learningRate(Map.of("learning rate", history));
    }

    /** A confusion matrix heat map of predictions against true labels, classes named. */
    public static ConfusionMatrixChart confusionMatrix(String title, int[] truth, int[] predicted,
            String[] classNames) {
        return new ConfusionMatrixChart(title, ConfusionMatrixChart.count(truth, predicted, classNames.length),
                classNames);
    }

    /** The first {@code count} images with their predictions, wrong ones marked, ten to a row. */
    public static ImageGridChart samples(String title, ByteTensor images, int[] truth, int[] predicted,
            String[] classNames, int count) {
        return new ImageGridChart(title, images, truth, predicted, classNames, count, 10);
    }

    private static double[] epochs(History h) {
        return h.epochs().stream().mapToDouble(e -> e + 1).toArray();
    }

    private static double[] values(History h, String metric) {
        return h.get(metric).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * A validation curve's points without its NaNs: the epochs that did not validate (FitOptions.validationFreq), so
     * that the line joins the ones that did rather than breaking into dots.
     */
    private static double[][] validated(double[] x, double[] y) {
        int n = 0;
        for (double v : y) {
            n += Double.isNaN(v) ? 0 : 1;
        }
        double[][] out = new double[2][n];
        for (int i = 0, j = 0; i < y.length; i++) {
            if (!Double.isNaN(y[i])) {
                out[0][j] = x[i];
                out[1][j++] = y[i];
            }
        }
        return out;
    }
}
