package dev.dendrite.initializers;

import java.util.SplittableRandom;

/** Normal samples with a fixed mean and standard deviation (Keras defaults 0 and 0.05). */
public final class RandomNormal extends NormalInitializer {
    public RandomNormal() {
        this(0, 0.05);
    }

    /** @throws IllegalArgumentException for a mean that is not finite or a stddev that is negative or not finite */
    public RandomNormal(double mean, double stddev) {
        super("random_normal", mean, stddev);
    }

    @Override
    double unit(SplittableRandom random) {
        return gaussian(random);
    }

    @Override
    public String name() {
        return "random_normal";
    }
}
