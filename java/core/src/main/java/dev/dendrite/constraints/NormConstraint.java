package dev.dendrite.constraints;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * What Keras's three norm constraints share: one axis, and one op (Backend#normConstraint) that scales each vector
 * along it by {@code (rate * clip(norm, min, max) + (1 - rate) * norm) / (1e-7 + norm)}. They differ in the bounds
 * and the rate alone: MaxNorm is {@code [0, max]} at rate 1, UnitNorm {@code [1, 1]} at rate 1 (the factor is then
 * Keras's {@code 1 / (1e-7 + norm)} exactly), MinMaxNorm its own.
 */
public abstract sealed class NormConstraint extends Constraint permits MaxNorm, MinMaxNorm, UnitNorm {
    private final int axis;

    NormConstraint(int axis) {
        checkAxis(axis);
        this.axis = axis;
    }

    /** Keras's axis: 0 (each column of a kernel: a unit's incoming weights), 1 or -1 (each row). */
    public final int axis() {
        return axis;
    }

    abstract double lowerBound();

    abstract double upperBound();

    abstract double enforcement();

    @Override
    public final void check(int[] shape, String where) {
        checkNorm(shape, axis, className(), where);
    }

    @Override
    public final void apply(Backend backend, Slice w, int[] shape) {
        applyNorm(backend, w, shape, axis, lowerBound(), upperBound(), enforcement(), className());
    }
}
