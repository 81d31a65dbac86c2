package dev.dendrite.constraints;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code MinMaxNorm}: each vector along {@code axis} is scaled towards an L2 norm in
 * {@code [minValue, maxValue]}: {@code w * (rate * clip(norm, min, max) + (1 - rate) * norm) / (1e-7 + norm)}.
 * {@code rate} 1 (the default) enforces the bounds at once; below 1 each step moves the norm part of the way.
 */
public final class MinMaxNorm extends NormConstraint {
    private final double minValue;
    private final double maxValue;
    private final double rate;

    /** Keras's defaults: {@code min_value=0, max_value=1, rate=1, axis=0}. */
    public MinMaxNorm() {
        this(0.0, 1.0);
    }

    public MinMaxNorm(double minValue, double maxValue) {
        this(minValue, maxValue, 1.0, 0);
    }

    /**
     * @throws IllegalArgumentException unless {@code 0 <= minValue <= maxValue} (finite) and {@code 0 <= rate <= 1},
     *                                  or for an axis other than 0, 1, -1 or -2
     */
    public MinMaxNorm(double minValue, double maxValue, double rate, int axis) {
        super(axis);
        if (!(minValue >= 0) || !(maxValue >= minValue) || !Double.isFinite(maxValue)) {
            throw new IllegalArgumentException("MinMaxNorm min_value " + minValue + ", max_value " + maxValue
                    + "; expected finite values with 0 <= min_value <= max_value");
        }
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("MinMaxNorm rate " + rate + "; expected 0 <= rate <= 1 (1 enforces "
                    + "the bounds at once)");
        }
        this.minValue = minValue;
        this.maxValue = maxValue;
        this.rate = rate;
    }

    public double minValue() {
        return minValue;
    }

    public double maxValue() {
        return maxValue;
    }

    public double rate() {
        return rate;
    }

    @Override
    public String className() {
        return "MinMaxNorm";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("min_value", minValue);
        m.put("max_value", maxValue);
        m.put("rate", rate);
        m.put("axis", axis());
        return m;
    }

    @Override
    double lowerBound() {
        return minValue;
    }

    @Override
    double upperBound() {
        return maxValue;
    }

    @Override
    double enforcement() {
        return rate;
    }
}
