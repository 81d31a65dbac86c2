package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;

/**
 * Keras's {@code LeakyReLU} layer: {@code x} for {@code x >= 0}, {@code negative_slope * x} below. Its default
 * slope is Keras 3's 0.3 (the {@code leaky_relu} function's is 0.2). The derivative at 0 is the slope, as in
 * TensorFlow (JAX's {@code leaky_relu} takes 1 there).
 */
public final class LeakyReLU extends ElementwiseActivation {
    /** Keras 3's default {@code negative_slope} of the layer. */
    public static final double DEFAULT_NEGATIVE_SLOPE = 0.3;

    public LeakyReLU() {
        this(DEFAULT_NEGATIVE_SLOPE);
    }

    /** @throws IllegalArgumentException if the slope is negative or not finite (Keras refuses both) */
    public LeakyReLU(double negativeSlope) {
        super(ActivationFunction.LEAKY_RELU, checked(negativeSlope));
    }

    private static double checked(double negativeSlope) {
        nonNegative("LeakyReLU", "negative_slope", negativeSlope);
        return negativeSlope;
    }

    public float negativeSlope() {
        return alpha();
    }

    @Override
    public String className() {
        return "LeakyReLU";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("negative_slope", alphaArgument());
        return m;
    }
}
