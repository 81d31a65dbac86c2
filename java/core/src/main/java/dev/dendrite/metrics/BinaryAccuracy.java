package dev.dendrite.metrics;

/**
 * Keras's {@code binary_accuracy}: per output, whether {@code (y_pred > threshold)} equals the target (exact
 * equality, so a soft target such as 0.7 never matches); a sample's value is the mean over its outputs.
 * Default threshold 0.5.
 */
public final class BinaryAccuracy extends MeanMetricWrapper {
    public static final double DEFAULT_THRESHOLD = 0.5;
    private final float threshold;

    public BinaryAccuracy() {
        this("binary_accuracy", DEFAULT_THRESHOLD);
    }

    public BinaryAccuracy(String name, double threshold) {
        super(name);
        this.threshold = (float) threshold;
    }

    public float threshold() {
        return threshold;
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
