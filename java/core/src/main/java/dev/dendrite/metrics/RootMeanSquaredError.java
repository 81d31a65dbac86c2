package dev.dendrite.metrics;

/**
 * Keras's {@code RootMeanSquaredError}: the square root of the mean squared error over every sample seen (not the
 * mean of per-batch roots). Counted on the host from each batch's outputs.
 */
public final class RootMeanSquaredError extends MeanMetricWrapper {
    public RootMeanSquaredError() {
        this("root_mean_squared_error");
    }

    public RootMeanSquaredError(String name) {
        super(name);
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        return MeanSquaredError.squaredError(yPred, yTrue, labels, r, cols);
    }

    @Override
    public double result() {
        return Math.sqrt(super.result());
    }
}
