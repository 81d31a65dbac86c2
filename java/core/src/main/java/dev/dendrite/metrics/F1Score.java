package dev.dendrite.metrics;

import java.util.Locale;
import java.util.Map;

import dev.dendrite.backend.Backend;

/**
 * Keras's {@code F1Score} (an {@code FBetaScore} with beta 1), per class: {@code 2 p r / (p + r)} with Keras's
 * epsilon (1e-7) in each division. With {@code threshold} null (the default) a sample's predicted classes are
 * those whose output equals the row's maximum (and is above 1e-9), so a one-unit output always predicts
 * positive; otherwise an output is positive when above the threshold.
 *
 * <p>{@code average}: null (Keras's default) gives one value per class, written to the logs as
 * {@code name[0]}, {@code name[1]}, ...; {@code "macro"} their mean, {@code "micro"} the F1 of the counts summed
 * over classes, {@code "weighted"} the mean weighted by each class's number of true samples.
 */
public final class F1Score extends Metric {
    private static final double EPSILON = 1e-7;
    private final String average;
    private final Double threshold;
    private double[] tp;
    private double[] fp;
    private double[] fn;
    private double[] support;

    public F1Score() {
        this("f1_score", null, null);
    }

    /** Keras's {@code F1Score(average=...)}: null, "micro", "macro" or "weighted". */
    public F1Score(String average) {
        this("f1_score", average, null);
    }

    public F1Score(String name, String average, Double threshold) {
        super(name);
        if (average != null && !average.equals("micro") && !average.equals("macro") && !average.equals("weighted")) {
            throw new IllegalArgumentException("F1Score average '" + average
                    + "'; expected null, 'micro', 'macro' or 'weighted'");
        }
        if (threshold != null && !(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("F1Score threshold " + threshold + "; expected a value in (0, 1]");
        }
        this.average = average;
        this.threshold = threshold;
    }

    @Override
    public void reset() {
        tp = null;
    }

    @Override
    public void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols) {
        if (tp == null) {
            allocate(cols);
        }
        for (int r = 0; r < rows; r++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, yPred[r * cols + c]);
            }
            for (int c = 0; c < cols; c++) {
                float p = yPred[r * cols + c];
                double predicted = threshold == null ? (p >= max && Math.abs(p) > 1e-9f ? 1 : 0)
                        : (p > threshold.floatValue() ? 1 : 0);
                double t = truth(yTrue, labels, cols, r, c);
                tp[c] += predicted * t;
                fp[c] += predicted * (1 - t);
                fn[c] += (1 - predicted) * t;
                support[c] += t;
            }
        }
    }

    /**
     * On the device for class-index labels and 0/1 targets, whose counts are integers; a soft target adds its
     * value to the counts, which only the host does.
     */
    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        if (!sparseLabels && !binaryTargets) {
            return null;
        }
        float t = threshold == null ? Float.NaN : threshold.floatValue();
        return new DeviceCounter(backend, 4 * cols, null,
                (b, pred, targets, sparse, rows, width, counts, params) ->
                        b.metricClassCounts(pred, targets, sparse, rows, width, t, counts),
                (c, rows) -> {
                    if (tp == null) {
                        allocate(cols);
                    }
                    for (int i = 0; i < cols; i++) {
                        tp[i] += c[i];
                        fp[i] += c[cols + i];
                        fn[i] += c[2 * cols + i];
                        support[i] += c[3 * cols + i];
                    }
                });
    }

    private void allocate(int cols) {
        tp = new double[cols];
        fp = new double[cols];
        fn = new double[cols];
        support = new double[cols];
    }

    /** The per-class F1 values (for {@code average} null), or a one-element array with the averaged value. */
    public double[] results() {
        if (tp == null) {
            return average == null ? new double[0] : new double[] {0};
        }
        if ("micro".equals(average)) {
            return new double[] {f1(sum(tp), sum(fp), sum(fn))};
        }
        double[] f = new double[tp.length];
        for (int c = 0; c < f.length; c++) {
            f[c] = f1(tp[c], fp[c], fn[c]);
        }
        if (average == null) {
            return f;
        }
        double total = 0;
        double weights = sum(support);
        for (int c = 0; c < f.length; c++) {
            total += "weighted".equals(average) ? f[c] * support[c] / (weights + EPSILON) : f[c] / f.length;
        }
        return new double[] {total};
    }

    private static double f1(double tp, double fp, double fn) {
        double precision = tp / (tp + fp + EPSILON);
        double recall = tp / (tp + fn + EPSILON);
        return 2 * (precision * recall / (precision + recall + EPSILON));
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    /** The averaged F1; with {@code average} null, the mean over classes (Keras would return the vector). */
    @Override
    public double result() {
        double[] r = results();
        return r.length == 0 ? 0 : sum(r) / r.length;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("average", average);
        c.put("threshold", threshold);
        return c;
    }

    @Override
    public void writeResult(Map<String, Double> logs) {
        if (average != null) {
            logs.put(name(), result());
            return;
        }
        double[] r = results();
        for (int c = 0; c < r.length; c++) {
            logs.put(String.format(Locale.ROOT, "%s[%d]", name(), c), r[c]);
        }
    }
}
