package dev.dendrite.constraints;

import java.util.Arrays;

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

    /**
     * Checks that the axis fits a weight of {@code shape}: a vector has one norm, over axis 0 or -1; a matrix
     * {@code [rows, cols]} takes 0 or -2 (each column: a Dense unit's incoming weights) and 1 or -1 (each row).
     */
    @Override
    public final void check(int[] shape, String where) {
        if (shape.length == 1 && (axis == 0 || axis == -1) || shape.length == 2 && axis >= -2 && axis <= 1) {
            return;
        }
        throw new IllegalArgumentException(className() + "(axis=" + axis + ") on " + where + " of shape "
                + Arrays.toString(shape) + "; expected axis 0 or -1 on a vector, 0, 1, -1 or -2 on a matrix");
    }

    /** The op on the weight as {@code [rows, cols]}, a vector as {@code [n, 1]} (its one norm over axis 0). */
    @Override
    public final void apply(Backend backend, Slice w, int[] shape) {
        check(shape, "a weight");
        int rows = shape[0];
        int cols = shape.length == 2 ? shape[1] : 1;
        int opAxis = shape.length == 2 && (axis == 1 || axis == -1) ? 1 : 0;
        backend.normConstraint(w, rows, cols, opAxis, (float) lowerBound(), (float) upperBound(),
                (float) enforcement());
    }

    private static void checkAxis(int axis) {
        if (axis < -2 || axis > 1) {
            throw new IllegalArgumentException("constraint axis " + axis + "; expected 0, 1 or -1 (a Dense kernel's "
                    + "axis 0 bounds each unit's incoming weights)");
        }
    }
}
