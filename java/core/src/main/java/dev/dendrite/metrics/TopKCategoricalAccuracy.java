package dev.dendrite.metrics;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricHit;

/**
 * Keras's {@code top_k_categorical_accuracy} (and, with class-index labels, {@code sparse_top_k_categorical_accuracy}):
 * whether the target class is among the {@code k} largest outputs. As Keras's {@code in_top_k}, ties count in the
 * target's favour: the target's rank is 1 plus the number of outputs strictly larger than its own. The target
 * class of a dense row is its arg-max. Default k = 5.
 */
public final class TopKCategoricalAccuracy extends MeanMetricWrapper {
    public static final int DEFAULT_K = 5;
    private final int k;

    /** Keras's {@code TopKCategoricalAccuracy(k=5)}. */
    public TopKCategoricalAccuracy() {
        this(DEFAULT_K);
    }

    /** Keras's {@code TopKCategoricalAccuracy(k=...)}; with class-index labels it reads them as the sparse one. */
    public TopKCategoricalAccuracy(int k) {
        this("top_k_categorical_accuracy", k);
    }

    public TopKCategoricalAccuracy(String name, int k) {
        super(name);
        if (k < 1) {
            throw new IllegalArgumentException("top-k accuracy k " + k + "; expected k >= 1");
        }
        this.k = k;
    }

    public int k() {
        return k;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("k", k);
        return c;
    }

    @Override
    DeviceCounter deviceCounter(Backend backend, boolean sparseLabels, boolean binaryTargets, int cols) {
        return hitCounter(backend, MetricHit.TOP_K, k, 0f, 1);
    }

    @Override
    double sample(float[] yPred, float[] yTrue, int[] labels, int r, int cols) {
        int label = labels != null ? labels[r] : argMax(yTrue, r * cols, cols);
        float atLabel = yPred[r * cols + label];
        if (Float.isNaN(atLabel)) {
            atLabel = Float.NEGATIVE_INFINITY;
        }
        int larger = 0;
        for (int c = 0; c < cols; c++) {
            larger += yPred[r * cols + c] > atLabel ? 1 : 0;
        }
        return 1 + larger <= k ? 1 : 0;
    }
}
