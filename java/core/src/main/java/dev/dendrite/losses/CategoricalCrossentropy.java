package dev.dendrite.losses;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Cross-entropy against target distributions (one-hot rows): {@code -sum t * log p}. Follows a softmax
 * output (fused with it) or, with {@code fromLogits}, a linear one. See
 * {@link SparseCategoricalCrossentropy} for the difference from Keras's probability clipping.
 */
public final class CategoricalCrossentropy extends Loss {
    private final boolean fromLogits;

    public CategoricalCrossentropy() {
        this(false);
    }

    public CategoricalCrossentropy(boolean fromLogits) {
        this.fromLogits = fromLogits;
    }

    @Override
    public String name() {
        return "categorical_crossentropy";
    }

    @Override
    public boolean fromLogits() {
        return fromLogits;
    }

    @Override
    public boolean fusesWith(ActivationFunction outputActivation, int outputWidth) {
        if (outputWidth < 2) {
            throw new IllegalArgumentException(name() + " needs an output of at least 2 classes, got "
                    + outputWidth + " unit(s); for a yes/no output use binary_crossentropy");
        }
        return requireActivation(name(), fromLogits, ActivationFunction.SOFTMAX, outputActivation);
    }

    @Override
    public boolean fusedIsSoftmaxCrossEntropy() {
        return true;
    }

    @Override
    public void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                        int rows, int cols, Slice scratch, Slice grad, float gradScale, Slice stats) {
        backend.softmaxCrossEntropy(fused ? preActivation : output, targets, false, rows, cols, scratch, grad,
                gradScale, stats);
    }
}
