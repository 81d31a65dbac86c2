package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import jcuda.jcublas.cublasOperation;
import org.junit.jupiter.api.Test;

/**
 * The row-major to cuBLAS mapping of {@link CudaBackend#gemm}, checked without a GPU: a plain Java
 * column-major SGEMM with cuBLAS's exact argument semantics, fed the mapped arguments and the row-major
 * buffers, must give the row-major product for every transpose combination.
 */
class RowMajorGemmTest {

    /** cublasSgemm's definition on column-major storage: C = alpha op(A) op(B) + beta C (beta == 0 ignores C). */
    private static void columnMajorSgemm(int transa, int transb, int m, int n, int k, float alpha, float[] a,
                                         int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double av = transa == cublasOperation.CUBLAS_OP_N ? a[i + p * lda] : a[p + i * lda];
                    double bv = transb == cublasOperation.CUBLAS_OP_N ? b[p + j * ldb] : b[j + p * ldb];
                    sum += av * bv;
                }
                int at = i + j * ldc;
                c[at] = (float) (alpha * sum + (beta == 0f ? 0 : beta * c[at]));
            }
        }
    }

    @Test
    void everyTransposeComboGivesTheRowMajorProduct() {
        Random rnd = new Random(7);
        int[][] shapes = {{1, 1, 1}, {3, 7, 5}, {5, 3, 7}, {16, 1, 9}, {1, 12, 4}, {6, 6, 1}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] a = new float[m * k];
                    float[] b = new float[k * n];
                    float[] c = new float[m * n];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = (float) rnd.nextGaussian();
                    }
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (float) rnd.nextGaussian();
                    }
                    for (int i = 0; i < c.length; i++) {
                        c[i] = (float) rnd.nextGaussian();
                    }
                    float alpha = 1.5f;
                    float beta = 0.25f;
                    float[] expected = new float[m * n];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = 0;
                            for (int p = 0; p < k; p++) {
                                double av = ta ? a[p * m + i] : a[i * k + p];
                                double bv = tb ? b[j * k + p] : b[p * n + j];
                                sum += av * bv;
                            }
                            expected[i * n + j] = (float) (alpha * sum + beta * c[i * n + j]);
                        }
                    }
                    RowMajorGemm g = new RowMajorGemm(ta, tb, m, n, k);
                    float[] got = c.clone();
                    // B is cuBLAS's first operand, A its second, exactly as CudaBackend passes them.
                    columnMajorSgemm(g.transa, g.transb, g.m, g.n, g.k, alpha, b, g.lda, a, g.ldb, beta, got, g.ldc);
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], got[i], 1e-5 * (1 + Math.abs(expected[i])),
                                "m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void leadingDimensionsAreAtLeastOne() {
        RowMajorGemm g = new RowMajorGemm(false, false, 3, 4, 0);
        assertEquals(1, g.ldb);
        assertEquals(4, g.lda);
        assertEquals(4, g.ldc);
    }
}
