package dev.dendrite.backend;

/**
 * The activation family of a backend: {@link Backend#biasActivationForward} and
 * {@link Backend#activationBackward}, called by {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface ActivationOps {
    void biasActivationForward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, float alpha, Slice y);

    void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, float alpha,
                            Slice dz, Slice dbias);
}
