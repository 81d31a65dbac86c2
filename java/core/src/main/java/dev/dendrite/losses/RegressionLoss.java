package dev.dendrite.losses;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.RegressionKind;
import dev.dendrite.backend.Slice;

/**
 * What the regression losses share: any output activation (usually linear), no fusion with it, and the backend's
 * one regression loss op ({@link Backend#regressionLoss}); they differ in the term of the error alone.
 */
abstract class RegressionLoss extends Loss {
    /** The op's kind of term. */
    abstract RegressionKind kind();

    /** Huber's delta; 0 for the others. */
    float delta() {
        return 0f;
    }

    @Override
    public final boolean fusesWith(ActivationFunction outputActivation, int outputWidth) {
        return false;
    }

    @Override
    public final void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                              int rows, int cols, Slice scratch, Slice grad, float gradScale, Slice stats) {
        compute(backend, fused, output, preActivation, targets, rows, cols, null, null, scratch, grad, gradScale,
                stats);
    }

    /** Sample weights, not class weights (the targets have no class), which {@link Loss} refuses. */
    @Override
    public final void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets,
                              int rows, int cols, Slice classWeights, Slice rowWeights, Slice scratch, Slice grad,
                              float gradScale, Slice stats) {
        if (classWeights != null) {
            throw new IllegalArgumentException(classWeightClassesRefusal());
        }
        backend.regressionLoss(output, targets, rows, cols, kind(), delta(), rowWeights, grad, gradScale, stats);
    }
}
