package dev.dendrite.constraints;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/** Keras's {@code NonNeg}: the weight's negative elements set to zero, {@code max(w, 0)}. */
public final class NonNeg extends Constraint {
    @Override
    public String className() {
        return "NonNeg";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }

    @Override
    public void check(int[] shape, String where) {
        // Element-wise: any shape.
    }

    @Override
    public void apply(Backend backend, Slice w, int[] shape) {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        backend.nonNegConstraint(w, n);
    }
}
