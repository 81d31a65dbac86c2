package dev.dendrite.losses;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Mean squared error over a sample's outputs: {@code mean((y - t)^2)}. Works after any output activation.
 * Its "accuracy" compares arg-maxes when there are several outputs (one-hot targets) and rounds a single
 * output; Keras's plain {@code accuracy} would demand exact equality, which is never useful for regression.
 */
public final class MeanSquaredError extends Loss {

    @Override
    public String name() {
        return "mean_squared_error";
    }

    @Override
    public boolean fusesWith(ActivationFunction outputActivation, int outputWidth) {
        return false;
    }

    @Override
    public void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                        int rows, int cols, Slice scratch, Slice grad, float gradScale, Slice stats) {
        backend.meanSquaredError(output, targets, rows, cols, grad, gradScale, stats);
    }
}
