package dev.dendrite.losses;

import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Binary cross-entropy, averaged over the outputs of a sample as Keras does:
 * {@code mean(-t log p - (1 - t) log(1 - p))}. Follows a sigmoid output (fused with it) or, with
 * {@code fromLogits}, a linear one. Accuracy is the fraction of outputs on the right side of 0.5. With Keras's
 * {@code label_smoothing} s, each target is taken as {@code t (1 - s) + s / 2} ({@link Loss#labelSmoothing}).
 */
public final class BinaryCrossentropy extends Loss {
    private final boolean fromLogits;
    private final double labelSmoothing;

    public BinaryCrossentropy() {
        this(false);
    }

    public BinaryCrossentropy(boolean fromLogits) {
        this(fromLogits, 0);
    }

    /**
     * Keras's {@code BinaryCrossentropy(from_logits, label_smoothing)}.
     *
     * @throws IllegalArgumentException for a label smoothing outside [0, 1]
     */
    public BinaryCrossentropy(boolean fromLogits, double labelSmoothing) {
        this.fromLogits = fromLogits;
        this.labelSmoothing = checkLabelSmoothing("binary_crossentropy", labelSmoothing);
    }

    @Override
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /** Keras smooths each output towards 1/2, whatever the number of outputs. */
    @Override
    public int labelSmoothingClasses(int outputWidth) {
        return 2;
    }

    @Override
    public Map<String, Object> config() {
        return labelSmoothingConfig(labelSmoothing);
    }

    @Override
    public String name() {
        return "binary_crossentropy";
    }

    @Override
    public boolean fromLogits() {
        return fromLogits;
    }

    @Override
    public boolean fusesWith(ActivationFunction outputActivation, int outputWidth) {
        return requireActivation(name(), fromLogits, ActivationFunction.SIGMOID, outputActivation);
    }

    @Override
    public void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                        int rows, int cols, Slice scratch, Slice grad, float gradScale, Slice stats) {
        compute(backend, fused, output, preActivation, targets, rows, cols, null, null, scratch, grad, gradScale,
                stats);
    }

    @Override
    public void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets, int rows,
                        int cols, Slice classWeights, Slice rowWeights, Slice scratch, Slice grad, float gradScale,
                        Slice stats) {
        backend.sigmoidCrossEntropy(fused ? preActivation : output, targets, rows, cols, classWeights, rowWeights,
                scratch, grad, gradScale, stats);
    }

    /**
     * Classes 0 and 1 of a binary classifier (one output, its class the rounded target). Keras would take the arg-max
     * of a multi-label row as its class, which weighs labels that are not exclusive as if they were; refused here.
     */
    @Override
    public int classWeightClasses(int outputWidth) {
        if (outputWidth != 1) {
            throw new IllegalArgumentException("class weights with binary_crossentropy need one output (a binary "
                    + "classifier, classes 0 and 1), not " + outputWidth + "; for exclusive classes use a softmax "
                    + "output with categorical_crossentropy");
        }
        return 2;
    }
}
