package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link CpuGemm} against an independent float64 reference on seeded random inputs, for every kernel this JVM
 * can run (the plain-Java one always; the Vector API one when the test JVM has {@code jdk.incubator.vector}).
 *
 * <p><b>Tolerance.</b> Each element is a chain of at most {@code k + 3} float roundings (one fused multiply-add per
 * k step, then at most {@code beta * c}, the fold's FMA and the next block's FMA, all bounded the same way), so by
 * the standard bound (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>, 3.1) the error is at most
 * {@code gamma(k+3) * (|alpha| * sum_p |A(i,p) B(p,j)| + |beta * C(i,j)|)}, with
 * {@code gamma(n) = n u / (1 - n u)} and {@code u = 2^-24}. The test allows {@code (k + 4) u} times that scale.
 * The bound is rigorous, not statistical, so the test cannot flake; it is still tight enough to catch indexing
 * mistakes: with inputs in [-1, 1) the scale is about k/4, so for the largest k here (600) the allowance is about
 * 604 * 6e-8 * 150 = 0.005, while one wrong or missing term moves an element by about 0.25 (and scaling a single
 * product by 1 + 1e-4 already fails the 1x1x1 case).
 *
 * <p>Everything else is checked exactly: elements outside C's range are untouched, results are bit-identical with
 * 2 threads and without, and the two kernels agree bit for bit (they perform the same roundings).
 */
class CpuGemmTest {

    private static final double U = 0x1p-24;

    private static CpuWorkers workers2;

    @BeforeAll
    static void startWorkers() {
        workers2 = new CpuWorkers(2);
    }

    @AfterAll
    static void stopWorkers() {
        workers2.close();
    }

    /** The kernels available in this JVM. */
    private static List<CpuGemm.Impl> impls() {
        List<CpuGemm.Impl> impls = new ArrayList<>();
        impls.add(CpuGemm.Impl.PLAIN);
        if (CpuGemm.vectorKernelAvailable()) {
            impls.add(CpuGemm.Impl.VECTOR);
        }
        return impls;
    }

    /** Inputs of one case, with random offsets and guard elements around every matrix. */
    private static final class Case {
        final boolean transA, transB;
        final int m, n, k;
        final float alpha, beta;
        final int aOff, bOff, cOff;
        final float[] a, b, c0;
        final long seed;

        Case(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta, long seed) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.seed = seed;
            SplittableRandom rnd = new SplittableRandom(seed);
            aOff = rnd.nextInt(0, 5);
            bOff = rnd.nextInt(0, 5);
            cOff = rnd.nextInt(0, 5);
            a = filled(rnd, aOff + m * k + rnd.nextInt(0, 4));
            b = filled(rnd, bOff + k * n + rnd.nextInt(0, 4));
            c0 = filled(rnd, cOff + m * n + 3);
            if (beta == 0f) {
                // C's old contents must be ignored entirely when beta == 0, NaN included.
                for (int i = cOff; i < cOff + m * n; i++) {
                    c0[i] = Float.NaN;
                }
            }
        }

        private static float[] filled(SplittableRandom rnd, int len) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            return x;
        }

        float[] run(CpuGemm.Impl impl, CpuWorkers workers) {
            float[] c = c0.clone();
            CpuGemm.gemm(impl, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, workers);
            return c;
        }

        double opA(int i, int p) {
            return a[aOff + (transA ? p * m + i : i * k + p)];
        }

        double opB(int p, int j) {
            return b[bOff + (transB ? j * k + p : p * n + j)];
        }

        String describe() {
            return String.format("transA=%b transB=%b m=%d n=%d k=%d alpha=%s beta=%s offsets=%d/%d/%d seed=%d",
                    transA, transB, m, n, k, alpha, beta, aOff, bOff, cOff, seed);
        }

        /** Compares {@code c} with the float64 reference and checks the guard elements. */
        void check(float[] c, String what) {
            for (int i = 0; i < cOff; i++) {
                assertEquals(Float.floatToRawIntBits(c0[i]), Float.floatToRawIntBits(c[i]),
                        what + ": wrote before C at " + i + " for " + describe());
            }
            for (int i = cOff + m * n; i < c.length; i++) {
                assertEquals(Float.floatToRawIntBits(c0[i]), Float.floatToRawIntBits(c[i]),
                        what + ": wrote after C at " + i + " for " + describe());
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double scale = 0;
                    for (int p = 0; p < k; p++) {
                        double t = opA(i, p) * opB(p, j);
                        sum += t;
                        scale += Math.abs(t);
                    }
                    double expected = alpha * sum;
                    scale *= Math.abs(alpha);
                    if (beta != 0f) {
                        double old = c0[cOff + i * n + j];
                        expected += beta * old;
                        scale += Math.abs(beta * old);
                    }
                    double tol = (k + 4) * U * scale;
                    float got = c[cOff + i * n + j];
                    if (!(Math.abs(got - expected) <= tol)) {
                        fail(String.format("%s: C(%d,%d) = %s, expected %s (tolerance %.3g) for %s",
                                what, i, j, got, expected, tol, describe()));
                    }
                }
            }
        }
    }

    private static final int[][] SHAPES = {
        {1, 1, 1},
        {3, 5, 7},
        {17, 33, 65},
        {129, 257, 63},
        {8, 32, 256},         // exactly one vector tile and one k-block
        {9, 33, 257},         // one past each of them
        {7, 15, 255},         // one short of each
        {37, 70, 513},        // several k-blocks with a remainder; 32-, 16- and 6-wide column tiles
        {2, 48, 1},
        {1, 300, 40},         // a single row
        {13, 600, 5},         // more than one plain-kernel panel (512 columns)
        {40, 10, 70},         // narrow C (n < 16, m > n): computed transposed
        {129, 1, 300},
        {300, 15, 9},
        {15, 15, 20},         // narrow but square: computed directly
        {0, 5, 3},
        {5, 0, 3},
        {0, 0, 0},
        {4, 6, 0},            // k == 0: C = beta * C
    };

    @Test
    void matchesFloat64ReferenceForAllTransposesAlphasAndBetas() {
        long seed = 1;
        for (int[] s : SHAPES) {
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    for (float beta : new float[] {0f, 1f, 0.5f}) {
                        for (float alpha : new float[] {1f, -0.7f}) {
                            Case cs = new Case(transA, transB, s[0], s[1], s[2], alpha, beta, seed++);
                            float[] first = null;
                            for (CpuGemm.Impl impl : impls()) {
                                float[] c = cs.run(impl, null);
                                cs.check(c, impl.name());
                                if (first == null) {
                                    first = c;
                                } else {
                                    assertArrayEquals(first, c, "kernels differ for " + cs.describe());
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Every row and column remainder of the Vector API kernel's tiles (up to 33 rows and columns: past four 8-row
     * groups, two 16-lane slivers and, for narrow slivers, one), with k running through 1 to 33 over the sweep, under
     * every transpose, overwriting and accumulating. The last row group is padded to the full tile height and the
     * last sliver to one or two vectors; the kernels must agree bit for bit and each be within the float64
     * reference's tolerance.
     */
    @Test
    void everyRowAndColumnRemainderMatchesFloat64Reference() {
        long seed = 100_000;
        for (int m = 1; m <= 33; m++) {
            for (int n = 1; n <= 33; n++) {
                int k = 1 + (7 * m + 3 * n) % 33;
                for (int t = 0; t < 4; t++) {
                    float beta = (m + n + t) % 2 == 0 ? 0f : 1f;
                    Case cs = new Case((t & 1) != 0, (t & 2) != 0, m, n, k, 1f, beta, seed++);
                    float[] first = null;
                    for (CpuGemm.Impl impl : impls()) {
                        float[] c = cs.run(impl, null);
                        cs.check(c, impl.name());
                        if (first == null) {
                            first = c;
                        } else {
                            assertArrayEquals(first, c, "kernels differ for " + cs.describe());
                        }
                    }
                }
            }
        }
    }

    /**
     * Shapes past the parallel threshold, split by columns and by rows (the Vector API kernel prefers columns, the
     * plain one rows; a single tile or row group forces the other way), with the split landing on ragged edges. The
     * 2-thread result must equal the single-thread one bit for bit.
     */
    @Test
    void multiThreadedResultIsCorrectAndIdenticalToSingleThreaded() {
        int[][] shapes = {
            {130, 300, 200},  // column split, 300 = 9 tiles of 32 + 12
            {300, 20, 800},   // one column tile only: split by rows
            {64, 1000, 80},   // column split across two plain-kernel panels
            {45, 97, 1000},   // four k-blocks, odd sizes
            {700, 10, 600},   // narrow C, computed transposed and split
            {6, 2000, 700},   // a single row group: split by columns whatever the kernel prefers
            {300, 256, 600},  // a shared packed A of two row blocks by three k-blocks (six pieces)
        };
        long seed = 1000;
        for (int[] s : shapes) {
            assertTrue(2.0 * s[0] * s[1] * s[2] >= CpuGemm.PARALLEL_MIN_FLOPS, "shape below the threshold");
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    Case cs = new Case(transA, transB, s[0], s[1], s[2], -0.7f, 0.5f, seed++);
                    for (CpuGemm.Impl impl : impls()) {
                        float[] single = cs.run(impl, null);
                        float[] multi = cs.run(impl, workers2);
                        cs.check(multi, impl + " with 2 threads");
                        assertArrayEquals(single, multi, impl + ": threads changed the result for " + cs.describe());
                    }
                }
            }
        }
    }

    /**
     * The public entry point, called with the same workers from inside parts that those workers run (as a
     * parallel caller might), and from two threads at once: each caller finishes what no worker claimed, so
     * neither waits for the other and every result is exact.
     */
    @Test
    void publicEntryPointWorksFromInsideTheWorkersAndFromTwoThreads() throws Exception {
        Case cs = new Case(true, false, 96, 256, 300, 1f, 0f, 77);
        float[] expected = cs.run(CpuGemm.Impl.PLAIN, null);
        float[][] out = new float[4][];
        CpuClaimedParts.run(workers2, out.length, q -> {
            float[] c = cs.c0.clone();
            for (int rep = 0; rep < 20; rep++) {
                CpuGemm.gemm(true, false, cs.m, cs.n, cs.k, cs.alpha, cs.a, cs.aOff, cs.b, cs.bOff, cs.beta, c,
                        cs.cOff, workers2);
            }
            out[q] = c;
        });
        for (float[] c : out) {
            assertArrayEquals(expected, c);
        }
        float[] other = new float[cs.c0.length];
        Thread t = new Thread(() -> {
            for (int rep = 0; rep < 50; rep++) {
                float[] c = cs.c0.clone();
                CpuGemm.gemm(true, false, cs.m, cs.n, cs.k, cs.alpha, cs.a, cs.aOff, cs.b, cs.bOff, cs.beta, c,
                        cs.cOff, workers2);
                System.arraycopy(c, 0, other, 0, c.length);
            }
        });
        t.start();
        for (int rep = 0; rep < 50; rep++) {
            assertArrayEquals(expected, cs.run(CpuGemm.Impl.AUTO, workers2));
        }
        t.join();
        assertArrayEquals(expected, other);
    }

    @Test
    void alphaZeroScalesCWithoutReadingAOrB() {
        float[] a = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        float[] b = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        float[] c = {1f, -2f, 3f, 4f};
        CpuGemm.gemm(false, false, 2, 2, 2, 0f, a, 0, b, 0, 0.5f, c, 0, null);
        assertArrayEquals(new float[] {0.5f, -1f, 1.5f, 2f}, c);
        float[] nan = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        CpuGemm.gemm(true, true, 2, 2, 2, 0f, a, 0, b, 0, 0f, nan, 0, null);
        assertArrayEquals(new float[] {0f, 0f, 0f, 0f}, nan);
    }

    @Test
    void rejectsBadArguments() {
        float[] x = new float[6];
        assertThrows(IllegalArgumentException.class,
                () -> CpuGemm.gemm(false, false, -1, 2, 3, 1f, x, 0, x, 0, 0f, new float[6], 0, null));
        assertThrows(IndexOutOfBoundsException.class,
                () -> CpuGemm.gemm(false, false, 2, 3, 4, 1f, x, 0, new float[12], 0, 0f, new float[6], 0, null));
        assertThrows(IndexOutOfBoundsException.class,
                () -> CpuGemm.gemm(false, false, 2, 3, 3, 1f, x, 0, new float[9], 1, 0f, new float[6], 0, null));
        assertThrows(IndexOutOfBoundsException.class,
                () -> CpuGemm.gemm(false, false, 2, 3, 3, 1f, x, 0, new float[9], 0, 0f, new float[6], 1, null));
    }
}
