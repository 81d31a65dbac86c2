package dev.dendrite.backend;

/**
 * What {@link Backend#metricHits} counts per row; the codes are kernels/common/metrics.h's
 * {@code DENDRITE_HIT_*}.
 */
public enum MetricHit {
    /** The output's first arg-max is the row's class (its label, or its dense target's first arg-max): 0 or 1. */
    ARG_MAX(0),
    /** The row's class is among the {@code k} largest outputs, ties in its favour (Keras's {@code in_top_k}): 0 or 1. */
    TOP_K(1),
    /** The outputs whose {@code pred > threshold} (as 1 or 0) equals the target exactly: 0 to {@code cols}. */
    BINARY(2);

    private final int code;

    MetricHit(int code) {
        this.code = code;
    }

    /** The kernels' code of this kind. */
    public int code() {
        return code;
    }
}
