package dev.dendrite.backend;

/**
 * The layer-normalisation family of the op set (statistics per row).
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface LayerNormOps {
    /**
     * Layer normalisation of each row: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta} with the row's mean
     * and biased variance over its {@code cols} values; overwrites {@code saveMean} and {@code saveInvStd}
     * ({@code 1 / sqrt(var + eps)}, length {@code rows}) for the backward pass. The same in training and inference.
     * {@code gamma} ({@code null} = ones) and {@code beta} ({@code null} = zeros) have length {@code cols}.
     */
    void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                          Slice saveMean, Slice saveInvStd);

    /**
     * Backward of {@link #layerNormForward}: overwrites {@code dx}, {@code dgamma} ({@code sum over rows of
     * dy * xhat}) and {@code dbeta} ({@code sum over rows of dy}), each only when non-null.
     */
    void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                           Slice dx, Slice dgamma, Slice dbeta);
}
