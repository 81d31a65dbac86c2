package dev.dendrite.metrics;

/**
 * Keras's {@code mean_absolute_error} ({@code "mae"}): the mean over every sample of {@code mean(|pred - target|)}
 * over its outputs, the regression metric of the notebooks' housing-price exercise. Counted on the host from each
 * batch's outputs.
 */
public final class MeanAbsoluteError extends MeanMetricWrapper {
    public MeanAbsoluteError() {
        this("mean_absolute_error");
    }

    public MeanAbsoluteError(String name) {
        super(name);
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += Math.abs((double) yPred[r * cols + c] - truth(yTrue, labels, cols, r, c));
        }
        return sum / cols;
    }
}
