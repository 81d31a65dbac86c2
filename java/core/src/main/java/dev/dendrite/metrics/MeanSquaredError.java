package dev.dendrite.metrics;

/**
 * Keras's {@code mean_squared_error} ({@code "mse"}): the mean over every sample of {@code mean((pred - target)^2)}
 * over its outputs. Counted on the host from each batch's outputs.
 */
public final class MeanSquaredError extends MeanMetricWrapper {
    public MeanSquaredError() {
        this("mean_squared_error");
    }

    public MeanSquaredError(String name) {
        super(name);
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        return squaredError(yPred, yTrue, labels, r, cols);
    }

    /** Row {@code r}'s mean squared error over its outputs (shared with {@link RootMeanSquaredError}). */
    static double squaredError(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            double d = (double) yPred[r * cols + c] - truth(yTrue, labels, cols, r, c);
            sum += d * d;
        }
        return sum / cols;
    }
}
