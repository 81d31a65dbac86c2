package dev.dendrite.metrics;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricHit;

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

    /** Adds {@code count} samples whose values sum to {@code total} (counted on the device). */
    void addCounted(double total, long count) {
        this.total += total;
        this.count += count;
    }

    /** A device counter of {@code kind}'s hits, each worth {@code 1 / perHit} of a sample. */
    DeviceCounter hitCounter(Backend backend, MetricHit kind, int k, float threshold, int perHit) {
        return new DeviceCounter(backend, 1, null,
                (b, pred, targets, sparse, rows, cols, counts, params) ->
                        b.metricHits(pred, targets, sparse, rows, cols, kind, k, threshold, counts),
                (c, rows) -> addCounted((double) c[0] / perHit, rows));
    }

    @Override
    public double result() {
        return count == 0 ? 0 : total / count;
    }
}
