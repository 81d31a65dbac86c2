package dev.dendrite.metrics;

/**
 * Keras's {@code MeanMetricWrapper}: the mean over every sample seen of a per-sample value (1 for a hit, 0 for a
 * miss in the accuracies).
 */
abstract class MeanMetricWrapper extends Metric {
    private double total;
    private long count;

    MeanMetricWrapper(String name) {
        super(name);
    }

    /** The value of row {@code r}. */
    abstract double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols);

    @Override
    public void reset() {
        total = 0;
        count = 0;
    }

    @Override
    public void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            total += sample(yPred, yTrue, labels, r, cols);
        }
        count += rows;
    }

    @Override
    public double result() {
        return count == 0 ? 0 : total / count;
    }
}
