package dev.dendrite.initializers;

import java.util.Map;
import java.util.SplittableRandom;

/** Normal samples with a fixed mean and standard deviation (Keras defaults 0 and 0.05). */
public final class RandomNormal extends Initializer {
    private final double mean;
    private final double stddev;

    public RandomNormal() {
        this(0, 0.05);
    }

    public RandomNormal(double mean, double stddev) {
        if (!(stddev >= 0) || !Double.isFinite(mean) || !Double.isFinite(stddev)) {
            throw new IllegalArgumentException("random_normal(mean=" + mean + ", stddev=" + stddev
                    + "); expected a finite mean and a finite stddev >= 0");
        }
        this.mean = mean;
        this.stddev = stddev;
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + stddev * gaussian(random));
        }
    }

    @Override
    public String name() {
        return "random_normal";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("mean", mean, "stddev", stddev);
    }
}
