package dev.dendrite.metrics;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricHit;

/**
 * Keras's {@code categorical_accuracy}: whether the arg-max of the output equals the arg-max of the one-hot
 * target (the first index on ties, both sides, as Keras's {@code argmax}).
 */
public final class CategoricalAccuracy extends MeanMetricWrapper {
    public CategoricalAccuracy() {
        this("categorical_accuracy");
    }

    public CategoricalAccuracy(String name) {
        super(name);
    }

    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        return hitCounter(backend, MetricHit.ARG_MAX, 0, 0f, 1);
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        int label = yTrue != null ? argMax(yTrue, r * cols, cols) : labels[r];
        return argMax(yPred, r * cols, cols) == label ? 1 : 0;
    }
}
