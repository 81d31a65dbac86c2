package dev.dendrite.backend.cuda;

import jcuda.jcublas.cublasOperation;

/**
 * How a row-major {@code C = alpha op(A) op(B) + beta C} becomes one column-major cublasSgemm call.
 *
 * <p>A row-major {@code r x c} matrix read as column-major is its {@code c x r} transpose, so the row-major
 * product is the column-major {@code C^T = op(B)^T op(A)^T}: cuBLAS gets B first, then A, with the transpose
 * flags unchanged, dimensions {@code (n, m, k)}, and leading dimensions the row lengths of the stored matrices.
 * Kept apart from {@link CudaBackend} so that a test can check the mapping against a plain column-major GEMM.
 */
final class RowMajorGemm {
    /** cuBLAS's transa (applied to its first operand, our B). */
    final int transa;
    /** cuBLAS's transb (applied to its second operand, our A). */
    final int transb;
    final int m;
    final int n;
    final int k;
    /** Leading dimension of cuBLAS's first operand (our B). */
    final int lda;
    /** Leading dimension of cuBLAS's second operand (our A). */
    final int ldb;
    final int ldc;

    RowMajorGemm(boolean transA, boolean transB, int m, int n, int k) {
        this.transa = transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        this.transb = transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        this.m = n;
        this.n = m;
        this.k = k;
        // Row lengths: B is stored k x n (n x k when transposed), A m x k (k x m), C m x n. cuBLAS wants >= 1.
        this.lda = Math.max(1, transB ? k : n);
        this.ldb = Math.max(1, transA ? m : k);
        this.ldc = Math.max(1, n);
    }
}
