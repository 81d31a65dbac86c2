package dev.dendrite.metrics;

/** Keras's {@code Recall}: {@code tp / (tp + fn)} at threshold 0.5 by default, 0 when there is no positive target. */
public final class Recall extends ThresholdCounts {
    public static final double DEFAULT_THRESHOLD = 0.5;

    public Recall() {
        this("recall", DEFAULT_THRESHOLD);
    }

    /** Keras's {@code Recall(thresholds=...)} with one threshold. */
    public Recall(double threshold) {
        this("recall", threshold);
    }

    public Recall(String name, double threshold) {
        super(name, threshold);
    }

    @Override
    public double result() {
        return divideNoNan(tp, tp + fn);
    }
}
