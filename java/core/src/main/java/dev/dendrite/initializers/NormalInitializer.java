package dev.dendrite.initializers;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * What RandomNormal and TruncatedNormal share: a mean, a standard deviation (checked here) and Keras's config of
 * them; they differ in the unit sample alone.
 */
abstract class NormalInitializer extends Initializer {
    private final double mean;
    private final double stddev;

    NormalInitializer(String name, double mean, double stddev) {
        if (!(stddev >= 0) || !Double.isFinite(mean) || !Double.isFinite(stddev)) {
            throw new IllegalArgumentException(name + "(mean=" + mean + ", stddev=" + stddev
                    + "); expected a finite mean and a finite stddev >= 0");
        }
        this.mean = mean;
        this.stddev = stddev;
    }

    /** One unit sample: a standard normal, or one truncated to [-2, 2]. */
    abstract double unit(SplittableRandom random);

    @Override
    public final void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + stddev * unit(random));
        }
    }

    @Override
    public final Map<String, Object> config() {
        return Map.of("mean", mean, "stddev", stddev);
    }
}
