package dev.dendrite.initializers;

import java.util.Map;
import java.util.SplittableRandom;

/** Uniform samples in {@code [minval, maxval)} (Keras defaults -0.05 and 0.05). */
public final class RandomUniform extends Initializer {
    private final double minval;
    private final double maxval;

    public RandomUniform() {
        this(-0.05, 0.05);
    }

    public RandomUniform(double minval, double maxval) {
        if (!(minval <= maxval) || !Double.isFinite(minval) || !Double.isFinite(maxval)) {
            throw new IllegalArgumentException("random_uniform(minval=" + minval + ", maxval=" + maxval
                    + "); expected finite bounds with minval <= maxval");
        }
        this.minval = minval;
        this.maxval = maxval;
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (minval + (maxval - minval) * random.nextDouble());
        }
    }

    @Override
    public String name() {
        return "random_uniform";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("minval", minval, "maxval", maxval);
    }
}
