package dev.dendrite.backend;

/**
 * The reductions of a backend: {@link Backend#columnSums}, called by {@link AbstractBackend} once its checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface ReductionOps {
    void columnSums(Slice x, int rows, int cols, Slice out);
}
