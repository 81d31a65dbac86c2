package dev.dendrite.losses;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Cross-entropy against class indices: {@code -log p[label]}. Follows a softmax output (fused with it) or,
 * with {@code fromLogits}, a linear one. Keras clips probabilities to {@code [1e-7, 1 - 1e-7]}; the fused
 * log-softmax needs no clipping, so a confidently wrong prediction costs more than Keras would report
 * (Keras caps the per-sample loss at about 16.1).
 */
public final class SparseCategoricalCrossentropy extends Loss {
    private final boolean fromLogits;

    public SparseCategoricalCrossentropy() {
        this(false);
    }

    public SparseCategoricalCrossentropy(boolean fromLogits) {
        this.fromLogits = fromLogits;
    }

    @Override
    public String name() {
        return "sparse_categorical_crossentropy";
    }

    @Override
    public boolean sparseLabels() {
        return true;
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
        if (fused) {
            backend.softmaxCrossEntropy(preActivation, targets, true, rows, cols, scratch, grad, gradScale, stats);
        } else {
            backend.softmaxCrossEntropy(output, targets, true, rows, cols, scratch, grad, gradScale, stats);
        }
    }
}
