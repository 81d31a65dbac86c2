package dev.dendrite.backend;

/**
 * The layer-normalisation family of a backend: {@link Backend#layerNormForward} and
 * {@link Backend#layerNormBackward}, called by {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface LayerNormOps {
    void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y, Slice saveMean,
                          Slice saveInvStd);

    void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                           Slice dx, Slice dgamma, Slice dbeta);
}
