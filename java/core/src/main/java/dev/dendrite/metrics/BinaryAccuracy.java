package dev.dendrite.metrics;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricHit;

/**
 * Keras's {@code binary_accuracy}: per output, whether {@code (y_pred > threshold)} equals the target (exact
 * equality, so a soft target such as 0.7 never matches); a sample's value is the mean over its outputs.
 * Default threshold 0.5.
 */
public final class BinaryAccuracy extends MeanMetricWrapper {
    public static final double DEFAULT_THRESHOLD = 0.5;
    private final float threshold;
    private final double thresholdAsGiven;

    public BinaryAccuracy() {
        this("binary_accuracy", DEFAULT_THRESHOLD);
    }

    /** Keras's {@code BinaryAccuracy(threshold=...)}. */
    public BinaryAccuracy(double threshold) {
        this("binary_accuracy", threshold);
    }

    public BinaryAccuracy(String name, double threshold) {
        super(name);
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException(name + " threshold " + threshold + "; expected a value in [0, 1]");
        }
        this.threshold = (float) threshold;
        this.thresholdAsGiven = threshold;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("threshold", thresholdAsGiven);
        return c;
    }

    public float threshold() {
        return threshold;
    }

    /** Exact on any targets: the device compares (pred > threshold) with the target as the host does. */
    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        return hitCounter(backend, MetricHit.BINARY, 0, threshold, cols); // a row's value is its hits / cols
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        int hits = 0;
        for (int c = 0; c < cols; c++) {
            double predicted = yPred[r * cols + c] > threshold ? 1 : 0;
            hits += predicted == truth(yTrue, labels, cols, r, c) ? 1 : 0;
        }
        return (double) hits / cols;
    }
}
