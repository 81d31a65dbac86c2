package dev.dendrite.metrics;

import java.util.Map;

import dev.dendrite.backend.Backend;

/**
 * Keras's {@code AUC} with its defaults: the area under the ROC curve, approximated by {@code num_thresholds}
 * (200) evenly spaced thresholds {@code [-eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps]} and the trapezoidal rule
 * ({@code summation_method="interpolation"}), over every output flattened ({@code multi_label=False}).
 *
 * <p>As Keras does for evenly spaced thresholds, an output {@code p} (clipped to [0, 1]) falls in bucket
 * {@code max(0, ceil(p * (n - 1)) - 1)} computed in float32, and counts as positive at every threshold up to its
 * bucket: so an output exactly on a threshold is not above it, the same as {@code p > t}.
 */
public final class AUC extends Metric {
    public static final int DEFAULT_NUM_THRESHOLDS = 200;
    private final int numThresholds;
    private final double[] tpBucket;
    private final double[] fpBucket;

    public AUC() {
        this("auc", DEFAULT_NUM_THRESHOLDS);
    }

    /** Keras's {@code AUC(num_thresholds=...)}, the ROC curve by interpolation over every output. */
    public AUC(int numThresholds) {
        this("auc", numThresholds);
    }

    public AUC(String name, int numThresholds) {
        super(name);
        if (numThresholds < 2) {
            throw new IllegalArgumentException("AUC num_thresholds " + numThresholds + "; expected > 1");
        }
        this.numThresholds = numThresholds;
        tpBucket = new double[numThresholds];
        fpBucket = new double[numThresholds];
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("num_thresholds", numThresholds);
        c.put("curve", "ROC");
        c.put("summation_method", "interpolation");
        c.put("multi_label", false);
        c.put("num_labels", null);
        c.put("label_weights", null);
        c.put("from_logits", false);
        return c;
    }

    @Override
    public void reset() {
        java.util.Arrays.fill(tpBucket, 0);
        java.util.Arrays.fill(fpBucket, 0);
    }

    @Override
    public void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols) {
        float scale = numThresholds - 1;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float p = Math.min(1f, Math.max(0f, yPred[r * cols + c]));
                int bucket = Math.max(0, (int) ((float) Math.ceil(p * scale) - 1f));
                if (truth(yTrue, labels, cols, r, c) != 0) {
                    tpBucket[bucket]++;
                } else {
                    fpBucket[bucket]++;
                }
            }
        }
    }

    /** Exact on any targets: the device buckets outputs with the same float32 formula. */
    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        int n = numThresholds;
        return new DeviceCounter(backend, 2 * n, null,
                (b, pred, targets, sparse, rows, width, counts, params) ->
                        b.metricBuckets(pred, targets, sparse, rows, width, n, counts),
                (c, rows) -> {
                    for (int i = 0; i < n; i++) {
                        tpBucket[i] += c[i];
                        fpBucket[i] += c[n + i];
                    }
                });
    }

    @Override
    public double result() {
        // Counts at threshold i: every output whose bucket is >= i (a reversed cumulative sum).
        double[] tp = new double[numThresholds];
        double[] fp = new double[numThresholds];
        double t = 0;
        double f = 0;
        for (int i = numThresholds - 1; i >= 0; i--) {
            t += tpBucket[i];
            f += fpBucket[i];
            tp[i] = t;
            fp[i] = f;
        }
        double positives = tp[0];
        double negatives = fp[0];
        double area = 0;
        for (int i = 0; i + 1 < numThresholds; i++) {
            double tpr0 = ThresholdCounts.divideNoNan(tp[i], positives);
            double tpr1 = ThresholdCounts.divideNoNan(tp[i + 1], positives);
            double fpr0 = ThresholdCounts.divideNoNan(fp[i], negatives);
            double fpr1 = ThresholdCounts.divideNoNan(fp[i + 1], negatives);
            area += (fpr0 - fpr1) * (tpr0 + tpr1) / 2;
        }
        return area;
    }
}
