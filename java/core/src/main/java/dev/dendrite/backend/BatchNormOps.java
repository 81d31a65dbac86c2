package dev.dendrite.backend;

/**
 * The batch-normalisation family of a backend: {@link Backend#batchNormForwardTraining},
 * {@link Backend#batchNormForwardInference} and {@link Backend#batchNormBackward}, called by
 * {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface BatchNormOps {
    void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, float momentum,
                                  Slice runningMean, Slice runningVar, Slice y, Slice saveMean, Slice saveInvStd);

    void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                   Slice runningMean, Slice runningVar, Slice y);

    void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                           Slice dx, Slice dgamma, Slice dbeta);
}
