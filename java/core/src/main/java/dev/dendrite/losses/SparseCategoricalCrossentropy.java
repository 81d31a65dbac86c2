package dev.dendrite.losses;

/**
 * Cross-entropy against class indices: {@code -log p[label]}. Follows a softmax output (fused with it) or,
 * with {@code fromLogits}, a linear one. Keras clips probabilities to {@code [1e-7, 1 - 1e-7]}; the fused
 * log-softmax needs no clipping, so a confidently wrong prediction costs more than Keras would report
 * (Keras caps the per-sample loss at about 16.1).
 */
public final class SparseCategoricalCrossentropy extends SoftmaxCrossentropy {
    public SparseCategoricalCrossentropy() {
        this(false);
    }

    public SparseCategoricalCrossentropy(boolean fromLogits) {
        super(fromLogits);
    }

    @Override
    public String name() {
        return "sparse_categorical_crossentropy";
    }

    @Override
    public boolean sparseLabels() {
        return true;
    }
}
