package dev.dendrite.constraints;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code MaxNorm}: each vector along {@code axis} (axis 0, the default: a Dense unit's incoming weights) whose
 * L2 norm exceeds {@code maxValue} is scaled down to it: {@code w * clip(norm, 0, maxValue) / (1e-7 + norm)}. Max-norm
 * regularization (Srivastava et al., 2014) keeps weights bounded where Dropout and a large learning rate would let
 * them grow.
 */
public final class MaxNorm extends NormConstraint {
    /** Keras's default {@code max_value}. */
    public static final double DEFAULT_MAX_VALUE = 2.0;

    private final double maxValue;

    /** Keras's defaults: {@code max_value=2, axis=0}. */
    public MaxNorm() {
        this(DEFAULT_MAX_VALUE);
    }

    public MaxNorm(double maxValue) {
        this(maxValue, 0);
    }

    /**
     * @throws IllegalArgumentException for a {@code maxValue} that is negative or not finite, or an axis other than
     *                                  0, 1, -1 or -2
     */
    public MaxNorm(double maxValue, int axis) {
        super(axis);
        if (!(maxValue >= 0) || !Double.isFinite(maxValue)) {
            throw new IllegalArgumentException("MaxNorm max_value " + maxValue + "; expected a finite value >= 0");
        }
        this.maxValue = maxValue;
    }

    public double maxValue() {
        return maxValue;
    }

    @Override
    public String className() {
        return "MaxNorm";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_value", maxValue);
        m.put("axis", axis());
        return m;
    }

    @Override
    double lowerBound() {
        return 0;
    }

    @Override
    double upperBound() {
        return maxValue;
    }

    @Override
    double enforcement() {
        return 1;
    }
}
