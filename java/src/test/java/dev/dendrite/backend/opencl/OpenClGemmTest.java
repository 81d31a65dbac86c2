package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuGemm;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenCL GEMM, every variant of kernels/common/gemm_tiled.h forced in turn (and the per-shape choice), against
 * a float64 reference and bit for bit against {@link CpuGemm}: all four transpose combinations, shapes on and
 * around the tile edges and the 256-deep k-blocks (so the split variant folds 2 and 3 blocks), degenerate shapes,
 * slices at odd offsets inside larger buffers, beta == 0 over a C full of NaN, alpha == 0 over an A full of NaN.
 *
 * <p>Tolerance (stated as a bound, so the test cannot be flaky): every element is a chain of correctly rounded
 * operations in which each term {@code alpha a_p b_p} or {@code beta c} passes through at most {@code k + 3}
 * roundings (at most k fused multiply-adds inside its k-block, one fold per later block, which is fewer than the
 * block's length, the products by alpha and beta), so the error is at most {@code (k + 3) u} times the sum of the
 * absolute values of the terms, {@code u = 2^-24}, plus second-order terms covered by a 1% margin. A tile-edge bug
 * drops, repeats or misplaces a whole term, about 0.5 for these standard normal inputs, while the bound stays below
 * 0.02 for the largest k here. The bit-for-bit comparison with the CPU backend's GEMM is stricter still: the
 * kernels perform exactly its operations in its order, which is what lets a backend choose a variant by timing
 * without changing results.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClGemmTest {
    private static final double U = 0x1.0p-24;
    /** Guard elements around every matrix: a kernel writing outside C, or reading outside A/B, shows. */
    private static final int PAD = 5;
    private static final float GUARD = -1234.5f;

    /**
     * m, n, k: single rows and columns, sides of 17, 63, 65, 129 and 300 around the 32, 64 and 128 tiles, k around
     * the 8 and 16 deep steps and the 256 k-block (257, 300, 513 make 2 and 3 blocks), and k == 0. Small enough for
     * a CPU OpenCL device (the largest is 4.3M multiply-adds).
     */
    private static final int[][] AWKWARD = {{1, 1, 1}, {17, 63, 65}, {65, 17, 129}, {63, 129, 300}, {129, 65, 513},
        {1, 300, 17}, {300, 1, 257}, {33, 31, 256}, {7, 5, 0}};

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

    @AfterEach
    void chooseAgain() {
        if (backend != null) {
            backend.forceGemmVariant(null);
        }
    }

    @Test
    void everyVariantOnAwkwardShapesAllTransposes() {
        for (GemmVariant v : GemmVariant.values()) {
            backend.forceGemmVariant(v);
            for (int[] s : AWKWARD) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        check(v.toString(), ta, tb, s[0], s[1], s[2], rnd.nextBoolean() ? 1f : -1.5f,
                                rnd.nextBoolean() ? 0f : 0.75f);
                    }
                }
            }
        }
    }

    @Test
    void theSplitVariantSplitsTheseShapes() {
        // Otherwise the test above would not reach gemm_fold.
        assertEquals(2, GemmVariant.SMALL.splits(63, 129, 300));
        assertEquals(3, GemmVariant.SMALL.splits(129, 65, 513));
    }

    @Test
    void measuredChoiceIsRememberedAndAgrees() {
        // Course-like shapes, scaled down for a CPU device: a batch times a layer, dW = X^T dZ, dX = dZ W^T.
        int[][] shapes = {{32, 128, 300}, {300, 128, 32}, {32, 300, 128}};
        boolean[][] transposes = {{false, false}, {true, false}, {false, true}};
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            boolean ta = transposes[i][0];
            boolean tb = transposes[i][1];
            check("auto", ta, tb, s[0], s[1], s[2], 1f, 0f);
            GemmVariant chosen = backend.gemmChoice(ta, tb, s[0], s[1], s[2]);
            assertNotNull(chosen, "a choice is remembered for " + Arrays.toString(s));
            assertTrue(chosen.suits(s[0], s[1], s[2]) || chosen == GemmVariant.rule(s[0], s[1], s[2]),
                    chosen + " was a candidate for " + Arrays.toString(s));
            check("auto again", ta, tb, s[0], s[1], s[2], -0.5f, 0.25f);
            assertEquals(chosen, backend.gemmChoice(ta, tb, s[0], s[1], s[2]), "the choice is kept");
        }
    }

    @Test
    void ruleModeAndForcedModeComeFromTheProperty() {
        String key = "dendrite.opencl.gemm";
        String old = System.getProperty(key);
        try {
            System.setProperty(key, "rule");
            try (OpenClBackend ruled = new OpenClBackend(backend.device())) {
                runOnce(ruled, 40, 70, 300);
                assertEquals(GemmVariant.rule(40, 70, 300), ruled.gemmChoice(false, false, 40, 70, 300));
            }
            System.setProperty(key, "tiles-please");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new OpenClBackend(backend.device()).close());
            assertTrue(e.getMessage().contains("tiles-please") && e.getMessage().contains("tile64"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNAndBetaAccumulates() {
        for (int[] s : new int[][] {{70, 90, 40}, {5, 6, 7}}) {
            check("auto", false, false, s[0], s[1], s[2], 2f, 0f);     // C starts as NaN: must not leak
            check("auto", true, true, s[0], s[1], s[2], -0.5f, 1f);    // accumulate into C
            check("auto", false, true, s[0], s[1], s[2], 1f, 0.25f);
        }
    }

    @Test
    void alphaZeroDoesNotReadAOrB() {
        for (GemmVariant v : GemmVariant.values()) {
            backend.forceGemmVariant(v);
            for (float beta : new float[] {0f, 0.5f}) {
                float[] c = normal(20 * 30);
                Buffer ab = padded(nan(20 * 40));
                Buffer bb = padded(nan(40 * 30));
                Buffer cb = padded(c);
                try {
                    backend.gemm(false, false, 20, 30, 40, 0f, ab.slice(PAD, 800), bb.slice(PAD, 1200), beta,
                            cb.slice(PAD, c.length));
                    float[] got = new float[cb.length()];
                    backend.download(cb.all(), got, 0);
                    for (int i = 0; i < c.length; i++) {
                        assertEquals(beta == 0f ? 0f : beta * c[i], got[PAD + i], v + " beta=" + beta + " element " + i);
                    }
                } finally {
                    ab.close();
                    bb.close();
                    cb.close();
                }
            }
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

    private void runOnce(OpenClBackend on, int m, int n, int k) {
        try (Buffer a = on.allocate(DType.F32, m * k); Buffer b = on.allocate(DType.F32, k * n);
             Buffer c = on.allocate(DType.F32, m * n)) {
            on.fill(a.all(), 1f);
            on.fill(b.all(), 1f);
            on.gemm(false, false, m, n, k, 1f, a.all(), b.all(), 0f, c.all());
            float[] got = new float[m * n];
            on.download(c.all(), got, 0);
            assertEquals(k, got[m * n - 1]);
        }
    }

    private void check(String variant, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta) {
        String what = variant + ": gemm " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " m=" + m + " n=" + n + " k=" + k
                + " alpha=" + alpha + " beta=" + beta;
        float[] a = normal(m * k);
        float[] b = normal(k * n);
        float[] c = beta == 0f ? nan(m * n) : normal(m * n);
        float[] cpu = c.clone();
        CpuGemm.gemm(ta, tb, m, n, k, alpha, a, 0, b, 0, beta, cpu, 0, null);
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
            int differentBits = 0;
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
                    double terms = Math.abs(alpha) * abs + (beta == 0f ? 0 : Math.abs(beta * old));
                    double tol = 1.01 * (k + 3) * U * terms + Double.MIN_VALUE;
                    float actual = got[PAD + r * n + col];
                    if (!(Math.abs(actual - expected) <= tol)) {
                        bad++;
                        if (first == null) {
                            first = "(" + r + ", " + col + "): expected " + expected + ", got " + actual
                                    + ", tolerance " + tol;
                        }
                    }
                    if (Float.floatToRawIntBits(actual) != Float.floatToRawIntBits(cpu[r * n + col])) {
                        differentBits++;
                        if (first == null) {
                            first = "(" + r + ", " + col + "): CpuGemm gives " + cpu[r * n + col] + ", got " + actual;
                        }
                    }
                }
            }
            if (bad > 0 || differentBits > 0) {
                fail(what + ": " + bad + " of " + (m * n) + " elements out of tolerance, " + differentBits
                        + " not bit-identical to CpuGemm, first at " + first);
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
