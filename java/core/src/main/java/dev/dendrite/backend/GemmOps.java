package dev.dendrite.backend;

/**
 * The GEMM family of a backend's ops: {@link Backend#gemm}, called by {@link AbstractBackend} once its checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface GemmOps {
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Slice a, Slice b, float beta, Slice c);
}
