package dev.dendrite.losses;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * What the two softmax cross-entropies share: at least two classes, a softmax output (fused with the loss) or with
 * {@code fromLogits} a linear one, and the backend's fused softmax cross-entropy op. They differ in the labels'
 * form only ({@link #sparseLabels()}).
 */
abstract class SoftmaxCrossentropy extends Loss {
    private final boolean fromLogits;

    SoftmaxCrossentropy(boolean fromLogits) {
        this.fromLogits = fromLogits;
    }

    @Override
    public final boolean fromLogits() {
        return fromLogits;
    }

    @Override
    public final boolean fusesWith(ActivationFunction outputActivation, int outputWidth) {
        if (outputWidth < 2) {
            throw new IllegalArgumentException(name() + " needs an output of at least 2 classes, got "
                    + outputWidth + " unit(s); for a yes/no output use binary_crossentropy");
        }
        return requireActivation(name(), fromLogits, ActivationFunction.SOFTMAX, outputActivation);
    }

    @Override
    public final boolean fusedIsSoftmaxCrossEntropy() {
        return true;
    }

    @Override
    public final void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                              int rows, int cols, Slice scratch, Slice grad, float gradScale, Slice stats) {
        compute(backend, fused, output, preActivation, targets, rows, cols, null, null, scratch, grad, gradScale,
                stats);
    }

    @Override
    public final void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                              int rows, int cols, Slice classWeights, Slice rowWeights, Slice scratch, Slice grad,
                              float gradScale, Slice stats) {
        backend.softmaxCrossEntropy(fused ? preActivation : output, targets, sparseLabels(), rows, cols, classWeights,
                rowWeights, scratch, grad, gradScale, stats);
    }

    /** One weight per output: the class is the label, or the one-hot target's arg-max. */
    @Override
    public final int classWeightClasses(int outputWidth) {
        return outputWidth;
    }
}
