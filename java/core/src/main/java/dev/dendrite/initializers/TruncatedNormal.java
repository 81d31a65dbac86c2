package dev.dendrite.initializers;

import java.util.SplittableRandom;

/**
 * Keras's {@code TruncatedNormal}: normal samples with {@code mean} and {@code stddev} (Keras's defaults 0 and 0.05),
 * those more than two standard deviations from the mean drawn again; the notebooks of TensorFlow 1's
 * {@code truncated_normal_initializer(stddev=0.1)} use it.
 */
public final class TruncatedNormal extends NormalInitializer {
    public TruncatedNormal() {
        this(0, 0.05);
    }

    /** @throws IllegalArgumentException for a mean that is not finite or a stddev that is negative or not finite */
    public TruncatedNormal(double mean, double stddev) {
        super("truncated_normal", mean, stddev);
    }

    @Override
    double unit(SplittableRandom random) {
        return truncatedNormal(random);
    }

    @Override
    public String name() {
        return "truncated_normal";
    }
}
