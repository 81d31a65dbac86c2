package dev.dendrite.losses;

/**
 * Cross-entropy against target distributions (one-hot rows): {@code -sum t * log p}. Follows a softmax
 * output (fused with it) or, with {@code fromLogits}, a linear one. See
 * {@link SparseCategoricalCrossentropy} for the difference from Keras's probability clipping.
 */
public final class CategoricalCrossentropy extends SoftmaxCrossentropy {
    public CategoricalCrossentropy() {
        this(false);
    }

    public CategoricalCrossentropy(boolean fromLogits) {
        super(fromLogits);
    }

    @Override
    public String name() {
        return "categorical_crossentropy";
    }
}
