package dev.dendrite.backend;

/**
 * The metric family of a backend: the device accumulators {@link Backend#metricConfusion},
 * {@link Backend#metricBuckets}, {@link Backend#metricHits} and {@link Backend#metricClassCounts}, called by
 * {@link AbstractBackend} once their checks ({@link MetricChecks}) have passed. {@code targets} is null for sparse
 * labels and {@code labels} null for dense targets; {@code rows} may be 0.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface MetricOps {
    void metricConfusion(Slice pred, Slice targets, Slice labels, int rows, int cols, Slice thresholds,
                         int numThresholds, Slice counts);

    void metricBuckets(Slice pred, Slice targets, Slice labels, int rows, int cols, int numBuckets, Slice counts);

    void metricHits(Slice pred, Slice targets, Slice labels, int rows, int cols, MetricHit kind, int k,
                    float threshold, Slice hits);

    void metricClassCounts(Slice pred, Slice targets, Slice labels, int rows, int cols, float threshold,
                           Slice counts);
}
