package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenCL GEMM against a float64 reference: all four transpose combinations, shapes on and around the
 * 64 x 64 x 16 tile edges, odd and degenerate shapes, both kernels (tiled and one work-item per output), slices
 * at odd offsets inside larger buffers, and beta == 0 over a C full of NaN.
 *
 * <p>Tolerance: an element of C is a sum of k products, so it may be off by {@code 4 EPS sqrt(k + 2)} times
 * the sum of the absolute values of its terms ({@code |alpha| sum |a b| + |beta c|}), EPS = 2^-24. That is
 * several times the typical rounding error of a float dot product, while a missing, duplicated or misplaced
 * term (a tile-edge bug) is off by about one whole term, far more for these random inputs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClGemmTest {
    private static final double EPS = 0x1.0p-24;
    /** Guard elements around every matrix: a kernel writing outside C, or reading outside A/B, shows. */
    private static final int PAD = 5;
    private static final float GUARD = -1234.5f;

    private OpenClBackend backend;
    private final Random rnd = new Random(20261123);

    @BeforeAll
    void open() {
        backend = OpenClTestSupport.backendOrSkip();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void tiledKernelOnTileEdges() {
        // m, n, k around multiples of the 64 x 64 tile and the 16-deep k step, all big enough for the tiled kernel.
        int[][] shapes = {{64, 64, 64}, {65, 63, 65}, {63, 65, 80}, {128, 128, 16}, {127, 129, 17}, {16, 300, 100},
            {300, 16, 100}, {100, 100, 1000}, {192, 80, 31}};
        for (int[] s : shapes) {
            assertTrue(backend.usesTiledGemm(s[0], s[1], s[2]), "shape " + Arrays.toString(s) + " should be tiled");
            checkAllTransposes(s[0], s[1], s[2]);
        }
    }

    @Test
    void simpleKernelOnSmallAndSkinnyShapes() {
        int[][] shapes = {{1, 1, 1}, {1, 1, 5000}, {3, 7, 5}, {15, 200, 300}, {200, 15, 300}, {1, 784, 512},
            {64, 64, 63}, {10, 10, 0}};
        for (int[] s : shapes) {
            assertFalse(backend.usesTiledGemm(s[0], s[1], s[2]), "shape " + Arrays.toString(s) + " should be simple");
            checkAllTransposes(s[0], s[1], s[2]);
        }
    }

    @Test
    void layerSizedProductsBothWays() {
        // A 784-256 dense layer at batch 128: forward (X W), the weight gradient (X^T dY) and dX (dY W^T).
        check(false, false, 128, 256, 784, 1f, 0f);
        check(true, false, 784, 256, 128, 1f, 0f);
        check(false, true, 128, 784, 256, 1f, 0f);
    }

    @Test
    void betaZeroIgnoresNaNAndBetaAccumulates() {
        for (int[] s : new int[][] {{70, 90, 40}, {5, 6, 7}}) {
            check(false, false, s[0], s[1], s[2], 2f, 0f);     // C starts as NaN: must not leak
            check(true, true, s[0], s[1], s[2], -0.5f, 1f);    // accumulate into C
            check(false, true, s[0], s[1], s[2], 1f, 0.25f);
        }
    }

    @Test
    void zeroSizedProductsTouchNothing() {
        Buffer c = backend.allocate(DType.F32, 4);
        Buffer twelve = backend.allocate(DType.F32, 12);
        try {
            backend.upload(new float[] {1, 2, 3, 4}, 0, c.all());
            Slice empty = c.slice(0, 0);
            backend.gemm(false, false, 0, 4, 3, 1f, empty, twelve.all(), 0f, c.all());
            backend.gemm(false, false, 4, 0, 3, 1f, twelve.all(), empty, 0f, c.slice(0, 0));
            float[] got = new float[4];
            backend.download(c.all(), got, 0);
            assertEquals(Arrays.toString(new float[] {1, 2, 3, 4}), Arrays.toString(got));
        } finally {
            c.close();
            twelve.close();
        }
    }

    private void checkAllTransposes(int m, int n, int k) {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                check(ta, tb, m, n, k, rnd.nextBoolean() ? 1f : -1.5f, rnd.nextBoolean() ? 0f : 0.75f);
            }
        }
    }

    private void check(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta) {
        String what = "gemm " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " m=" + m + " n=" + n + " k=" + k
                + " alpha=" + alpha + " beta=" + beta;
        float[] a = normal(m * k);
        float[] b = normal(k * n);
        float[] c = beta == 0f ? nan(m * n) : normal(m * n);
        Buffer ab = padded(a);
        Buffer bb = padded(b);
        Buffer cb = padded(c);
        try {
            backend.gemm(ta, tb, m, n, k, alpha, ab.slice(PAD, a.length), bb.slice(PAD, b.length), beta,
                    cb.slice(PAD, c.length));
            float[] got = new float[cb.length()];
            backend.download(cb.all(), got, 0);
            for (int i = 0; i < PAD; i++) {
                assertEquals(GUARD, got[i], what + ": guard before C");
                assertEquals(GUARD, got[got.length - 1 - i], what + ": guard after C");
            }
            int bad = 0;
            String first = null;
            for (int r = 0; r < m; r++) {
                for (int col = 0; col < n; col++) {
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double x = ta ? a[p * m + r] : a[r * k + p];
                        double y = tb ? b[col * k + p] : b[p * n + col];
                        sum += x * y;
                        abs += Math.abs(x * y);
                    }
                    double old = c[r * n + col];
                    double expected = alpha * sum + (beta == 0f ? 0 : beta * old);
                    double tol = 4 * EPS * Math.sqrt(k + 2.0) * (Math.abs(alpha) * abs + (beta == 0f ? 0
                            : Math.abs(beta * old))) + 1e-30;
                    double actual = got[PAD + r * n + col];
                    if (!(Math.abs(actual - expected) <= tol)) {
                        bad++;
                        if (first == null) {
                            first = "(" + r + ", " + col + "): expected " + expected + ", got " + actual
                                    + ", tolerance " + tol;
                        }
                    }
                }
            }
            if (bad > 0) {
                fail(what + ": " + bad + " of " + (m * n) + " elements out of tolerance, first at " + first);
            }
        } finally {
            ab.close();
            bb.close();
            cb.close();
        }
    }

    private Buffer padded(float[] x) {
        float[] all = new float[x.length + 2 * PAD];
        Arrays.fill(all, GUARD);
        System.arraycopy(x, 0, all, PAD, x.length);
        Buffer b = backend.allocate(DType.F32, all.length);
        backend.upload(all, 0, b.all());
        return b;
    }

    private float[] normal(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private static float[] nan(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }
}
