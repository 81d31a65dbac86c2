package dev.dendrite.backend;

/**
 * The batch-normalisation family of the op set (statistics per column).
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface BatchNormOps {
    /**
     * Training-mode batch normalisation over the rows: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta}
     * with the batch's mean and biased variance. Overwrites {@code saveMean} and {@code saveInvStd}
     * ({@code 1 / sqrt(var + eps)}) for the backward pass and updates the running statistics as Keras does:
     * {@code running = momentum * running + (1 - momentum) * batch} (the biased variance). {@code gamma}
     * ({@code null} = ones) and {@code beta} ({@code null} = zeros) have length {@code cols}.
     */
    void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                  float momentum, Slice runningMean, Slice runningVar,
                                  Slice y, Slice saveMean, Slice saveInvStd);

    /** Inference-mode batch normalisation with the running statistics. */
    void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                   Slice runningMean, Slice runningVar, Slice y);

    /**
     * Backward of {@link #batchNormForwardTraining}: overwrites {@code dx}, {@code dgamma} and {@code dbeta},
     * each only when non-null ({@code dx == null}: the layer is the first to train and only its parameter
     * gradients are wanted).
     */
    void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                           Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta);
}
