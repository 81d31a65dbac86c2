package dev.dendrite.metrics;

/**
 * Keras's {@code sparse_categorical_accuracy}: whether the arg-max of the output (first index on ties) equals
 * the class-index label.
 */
public final class SparseCategoricalAccuracy extends MeanMetricWrapper {
    public SparseCategoricalAccuracy() {
        this("sparse_categorical_accuracy");
    }

    public SparseCategoricalAccuracy(String name) {
        super(name);
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        int label = labels != null ? labels[r] : (int) yTrue[r * cols];
        return argMax(yPred, r * cols, cols) == label ? 1 : 0;
    }
}
