package dev.dendrite.backend.cpu;

import java.util.concurrent.ForkJoinPool;

/**
 * Single-precision GEMM for the CPU backend.
 *
 * <p>PLACEHOLDER: a plain, single-threaded triple loop, only so that {@link CpuBackend} compiles and can be
 * tested while the optimised, blocked, multi-threaded version is written separately. That version replaces
 * this file and keeps exactly this signature.
 */
public final class CpuGemm {
    private CpuGemm() {
    }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, row-major and densely packed, with the shapes of
     * {@link dev.dendrite.backend.Backend#gemm}. With {@code beta == 0} the old C is never read, so NaN in it
     * does not leak into the result. Arguments are assumed already validated by the caller.
     *
     * @param pool the backend's worker pool (unused by this placeholder)
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, float[] b, int bOff, float beta,
                            float[] c, int cOff, ForkJoinPool pool) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    float bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    sum += av * bv;
                }
                int ci = cOff + i * n + j;
                c[ci] = beta == 0f ? alpha * sum : alpha * sum + beta * c[ci];
            }
        }
    }
}
