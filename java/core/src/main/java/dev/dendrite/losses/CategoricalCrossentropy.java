package dev.dendrite.losses;

import java.util.Map;

/**
 * Cross-entropy against target distributions (one-hot rows): {@code -sum t * log p}. Follows a softmax
 * output (fused with it) or, with {@code fromLogits}, a linear one. See
 * {@link SparseCategoricalCrossentropy} for the difference from Keras's probability clipping. With Keras's
 * {@code label_smoothing} s, each target row is taken as {@code t (1 - s) + s / classes}
 * ({@link Loss#labelSmoothing}).
 */
public final class CategoricalCrossentropy extends SoftmaxCrossentropy {
    private final double labelSmoothing;

    public CategoricalCrossentropy() {
        this(false);
    }

    public CategoricalCrossentropy(boolean fromLogits) {
        this(fromLogits, 0);
    }

    /**
     * Keras's {@code CategoricalCrossentropy(from_logits, label_smoothing)}.
     *
     * @throws IllegalArgumentException for a label smoothing outside [0, 1]
     */
    public CategoricalCrossentropy(boolean fromLogits, double labelSmoothing) {
        super(fromLogits);
        this.labelSmoothing = checkLabelSmoothing("categorical_crossentropy", labelSmoothing);
    }

    @Override
    public String name() {
        return "categorical_crossentropy";
    }

    @Override
    public double labelSmoothing() {
        return labelSmoothing;
    }

    @Override
    public Map<String, Object> config() {
        return labelSmoothingConfig(labelSmoothing);
    }
}
