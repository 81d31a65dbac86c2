package dev.dendrite.metrics;

import java.util.Map;

import dev.dendrite.backend.Backend;

/**
 * True and false positives and negatives at one threshold over every output of every sample (Keras's confusion
 * metrics flatten a multi-unit output): an output counts as predicted positive when {@code y_pred > threshold}
 * and as truly positive when its target is non-zero (Keras casts targets to bool).
 */
abstract class ThresholdCounts extends Metric {
    private final float threshold;
    private final double thresholdAsGiven;
    double tp;
    double fp;
    double tn;
    double fn;

    ThresholdCounts(String name, double threshold) {
        super(name);
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException(name + " threshold " + threshold + "; expected a value in [0, 1]");
        }
        this.threshold = (float) threshold;
        this.thresholdAsGiven = threshold;
    }

    /** Keras's config of {@code Precision}/{@code Recall}: one threshold, no {@code top_k} or {@code class_id}. */
    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("thresholds", thresholdAsGiven);
        c.put("top_k", null);
        c.put("class_id", null);
        return c;
    }

    @Override
    public void reset() {
        tp = 0;
        fp = 0;
        tn = 0;
        fn = 0;
    }

    @Override
    public void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                boolean predicted = yPred[r * cols + c] > threshold;
                boolean actual = truth(yTrue, labels, cols, r, c) != 0;
                if (predicted) {
                    tp += actual ? 1 : 0;
                    fp += actual ? 0 : 1;
                } else {
                    fn += actual ? 1 : 0;
                    tn += actual ? 0 : 1;
                }
            }
        }
    }

    /** Exact on any targets: the device counts (pred > threshold) against (target != 0) as the host does. */
    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        return new DeviceCounter(backend, 4, new float[] {threshold},
                (b, pred, targets, sparse, rows, n, counts, thresholds) ->
                        b.metricConfusion(pred, targets, sparse, rows, n, thresholds, 1, counts),
                (c, rows) -> {
                    tp += c[0];
                    fp += c[1];
                    tn += c[2];
                    fn += c[3];
                });
    }

    /** Keras's {@code divide_no_nan}: 0 where the denominator is 0. */
    static double divideNoNan(double a, double b) {
        return b == 0 ? 0 : a / b;
    }
}
