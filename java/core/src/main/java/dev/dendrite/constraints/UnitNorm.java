package dev.dendrite.constraints;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code UnitNorm}: each vector along {@code axis} (0 by default: a Dense unit's incoming weights) scaled to
 * unit L2 norm, {@code w / (1e-7 + norm)}; an all-zero vector stays zero.
 */
public final class UnitNorm extends NormConstraint {
    /** Keras's default: {@code axis=0}. */
    public UnitNorm() {
        this(0);
    }

    /** @throws IllegalArgumentException for an axis other than 0, 1, -1 or -2 */
    public UnitNorm(int axis) {
        super(axis);
    }

    @Override
    public String className() {
        return "UnitNorm";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("axis", axis());
        return m;
    }

    @Override
    double lowerBound() {
        return 1;
    }

    @Override
    double upperBound() {
        return 1;
    }

    @Override
    double enforcement() {
        return 1;
    }
}
