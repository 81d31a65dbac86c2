package dev.dendrite.initializers;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/** Every value the same: Keras's {@code zeros}, {@code ones} and {@code Constant(value)}. */
public final class Constant extends Initializer {
    private final float value;

    public Constant(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("constant initializer value " + value + "; expected a finite number");
        }
        this.value = (float) value;
    }

    public static Constant zeros() {
        return new Constant(0);
    }

    public static Constant ones() {
        return new Constant(1);
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        Arrays.fill(values, value);
    }

    @Override
    public String name() {
        return value == 0f ? "zeros" : value == 1f ? "ones" : "constant";
    }

    @Override
    public Map<String, Object> config() {
        return value == 0f || value == 1f ? Map.of() : Map.of("value", (double) value);
    }
}
