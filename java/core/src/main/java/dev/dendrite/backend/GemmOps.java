package dev.dendrite.backend;

/**
 * The GEMM family of the op set.
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface GemmOps {
    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with {@code C} {@code m x n}, {@code op(A)} {@code m x k} and
     * {@code op(B)} {@code k x n}. {@code A} is stored {@code m x k} ({@code k x m} when {@code transA}) and
     * {@code B} {@code k x n} ({@code n x k} when {@code transB}), all row-major and densely packed. With
     * {@code beta == 0} the previous contents of C are ignored (NaN included).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Slice a, Slice b, float beta, Slice c);
}
