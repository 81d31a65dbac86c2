package dev.dendrite.backend;

/**
 * The activation family of a backend: {@link Backend#biasActivationForward} and
 * {@link Backend#activationBackward}, and the
 * activation and preprocessing layers' own ops ({@link Backend#reluForward}, {@link Backend#preluForward},
 * {@link Backend#featureAffine} and their backward passes), called by {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface ActivationOps {
    void biasActivationForward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, float alpha, Slice y);

    void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, float alpha,
                            Slice dz, Slice dbias);

    void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y);

    void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold, Slice dx);

    void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y);

    void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha);

    void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                       float offset, Slice y);
}
