package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Keras's {@code ReLU} layer with its three arguments:
 * <pre>
 *   f(x) = max_value                          for x >= max_value
 *        = x                                  for threshold &lt; x &lt; max_value
 *        = negative_slope * (x - threshold)   otherwise
 * </pre>
 * Defaults as Keras: no max value, slope 0, threshold 0 (plain relu). {@code new ReLU().maxValue(6)} is relu6.
 * The derivative is 0 at the kinks {@code x == threshold} and {@code x == max_value}; with a slope and neither
 * of the others Keras computes {@code leaky_relu}, whose derivative at 0 is the slope.
 */
public final class ReLU extends ShapePreserving {
    private Double maxValue;
    private double negativeSlope;
    private double threshold;

    /** @throws IllegalArgumentException if {@code maxValue} is negative or not finite; null means none */
    public ReLU maxValue(Double maxValue) {
        if (maxValue != null) {
            nonNegative("ReLU", "max_value", maxValue);
        }
        this.maxValue = maxValue;
        return this;
    }

    public ReLU maxValue(double maxValue) {
        return maxValue(Double.valueOf(maxValue));
    }

    /** @throws IllegalArgumentException if negative or not finite (Keras refuses a negative slope) */
    public ReLU negativeSlope(double negativeSlope) {
        nonNegative("ReLU", "negative_slope", negativeSlope);
        this.negativeSlope = negativeSlope;
        return this;
    }

    /** @throws IllegalArgumentException if negative or not finite (Keras refuses a negative threshold) */
    public ReLU threshold(double threshold) {
        nonNegative("ReLU", "threshold", threshold);
        this.threshold = threshold;
        return this;
    }

    /** The max value, or null for none. */
    public Double maxValue() {
        return maxValue;
    }

    public float negativeSlope() {
        return (float) negativeSlope;
    }

    public float threshold() {
        return (float) threshold;
    }

    private float max() {
        return maxValue == null ? Float.POSITIVE_INFINITY : maxValue.floatValue();
    }

    @Override
    public String className() {
        return "ReLU";
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        ctx.backend().reluForward(x, ctx.rows() * outputSize(), negativeSlope(), max(), threshold(), y);
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            ctx.backend().reluBackward(x, dy, ctx.rows() * outputSize(), negativeSlope(), max(), threshold(),
                    dx);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_value", maxValue);
        m.put("negative_slope", negativeSlope);
        m.put("threshold", threshold);
        return m;
    }
}
