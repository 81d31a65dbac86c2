package dev.dendrite.initializers;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Keras's {@code TruncatedNormal}: normal samples with {@code mean} and {@code stddev} (Keras's defaults 0 and 0.05),
 * those more than two standard deviations from the mean drawn again; the notebooks of TensorFlow 1's
 * {@code truncated_normal_initializer(stddev=0.1)} use it.
 */
public final class TruncatedNormal extends Initializer {
    private final double mean;
    private final double stddev;

    public TruncatedNormal() {
        this(0, 0.05);
    }

    /** @throws IllegalArgumentException for a mean that is not finite or a stddev that is negative or not finite */
    public TruncatedNormal(double mean, double stddev) {
        if (!(stddev >= 0) || !Double.isFinite(mean) || !Double.isFinite(stddev)) {
            throw new IllegalArgumentException("truncated_normal(mean=" + mean + ", stddev=" + stddev
                    + "); expected a finite mean and a finite stddev >= 0");
        }
        this.mean = mean;
        this.stddev = stddev;
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + stddev * truncatedNormal(random));
        }
    }

    @Override
    public String name() {
        return "truncated_normal";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("mean", mean, "stddev", stddev);
    }
}
