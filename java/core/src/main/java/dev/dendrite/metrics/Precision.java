package dev.dendrite.metrics;

/** Keras's {@code Precision}: {@code tp / (tp + fp)} at threshold 0.5 by default, 0 when nothing is predicted positive. */
public final class Precision extends ThresholdCounts {
    public static final double DEFAULT_THRESHOLD = 0.5;

    public Precision() {
        this("precision", DEFAULT_THRESHOLD);
    }

    /** Keras's {@code Precision(thresholds=...)} with one threshold. */
    public Precision(double threshold) {
        this("precision", threshold);
    }

    public Precision(String name, double threshold) {
        super(name, threshold);
    }

    @Override
    public double result() {
        return divideNoNan(tp, tp + fp);
    }
}
