package dev.dendrite.metrics;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricHit;

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

    /** On the device for class-index labels; dense targets (read as a label in column 0) stay on the host. */
    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        return sparseLabels ? hitCounter(backend, MetricHit.ARG_MAX, 0, 0f, 1) : null;
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        int label = labels != null ? labels[r] : (int) yTrue[r * cols];
        return argMax(yPred, r * cols, cols) == label ? 1 : 0;
    }
}
