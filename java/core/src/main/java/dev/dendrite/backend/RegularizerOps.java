package dev.dendrite.backend;

/**
 * The regularizer family of a backend: {@link Backend#regularizerGradient} and
 * {@link Backend#regularizerPenalty}, called by {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface RegularizerOps {
    void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2);

    void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats);
}
