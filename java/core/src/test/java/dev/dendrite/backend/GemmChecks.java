package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

import dev.dendrite.backend.cpu.CpuGemm;

/**
 * One GEMM on any backend checked against a float64 reference and, optionally, bit for bit against {@link CpuGemm};
 * shared by the OpenCL and CUDA GEMM tests so that both hold their kernels to the same standard.
 *
 * <p>Tolerance (a bound, so the check cannot be flaky): every element is a chain of correctly rounded operations in
 * which each term {@code alpha a_p b_p} or {@code beta c} passes through at most {@code k + 3} roundings (at most k
 * fused multiply-adds inside its 256-deep k-block, one fold per later block, which is fewer than the block's length,
 * and the products by alpha and beta), so the error is at most {@code (k + 3) u} times the sum of the absolute values
 * of the terms, {@code u = 2^-24}, plus second-order terms that a 1% margin covers. cuBLAS may sum in another order
 * but stays within the same bound. A tile-edge bug drops, repeats or misplaces a whole term, about 0.5 for standard
 * normal inputs, while the bound stays below 0.02 for k up to 513. The bit-for-bit comparison with CpuGemm is
 * stricter still: the own kernels perform exactly its operations in its order, which is what lets a backend choose
 * among them by timing without changing results.
 */
public final class GemmChecks {
    private static final double U = 0x1.0p-24;
    /** Guard elements around every matrix: a kernel writing outside C, or reading outside A/B, shows. */
    private static final int PAD = 5;
    private static final float GUARD = -1234.5f;

    /**
     * m, n, k: single rows and columns, sides of 17, 63, 65, 129 and 300 around the 32, 64 and 128 tiles, k around
     * the 8 and 16 deep steps and the 256 k-block (257, 300, 513 make 2 and 3 blocks, so the split variant folds),
     * and k == 0. Small enough for a CPU OpenCL device (the largest is 4.3M multiply-adds).
     */
    public static final int[][] AWKWARD = {{1, 1, 1}, {17, 63, 65}, {65, 17, 129}, {63, 129, 300}, {129, 65, 513},
        {1, 300, 17}, {300, 1, 257}, {33, 31, 256}, {7, 5, 0}};

    private final Backend backend;
    private final Random rnd;

    public GemmChecks(Backend backend, long seed) {
        this.backend = backend;
        this.rnd = new Random(seed);
    }

    /**
     * Products of at most 32 columns ({@link GemmVariant#ROWS}'s): one and two k-blocks at a time (up to 15 columns,
     * and 16 to 32), k-blocks cut short, more rows than one group.
     */
    public static final int[][] NARROW = {{1, 1, 1}, {128, 10, 512}, {300, 10, 784}, {17, 15, 513}, {9, 16, 257},
        {33, 1, 1100}, {7, 32, 300}, {65, 31, 256}, {8, 2, 255}, {5000, 10, 64}};

    /** Every transposition of {@code shapes} ({m, n, k} each), alpha -1.5 with A transposed, beta 0.75 with B. */
    public void shapes(String label, int[][] shapes, boolean sameBitsAsCpu) {
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    check(label, ta, tb, s[0], s[1], s[2], ta ? -1.5f : 1f, tb ? 0.75f : 0f, sameBitsAsCpu);
                }
            }
        }
    }

    /** Every transposition of every {@link #AWKWARD} shape, with random alpha and beta (0 half the time). */
    public void awkwardShapes(String label, boolean sameBitsAsCpu) {
        for (int[] s : AWKWARD) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    check(label, ta, tb, s[0], s[1], s[2], rnd.nextBoolean() ? 1f : -1.5f,
                            rnd.nextBoolean() ? 0f : 0.75f, sameBitsAsCpu);
                }
            }
        }
    }

    /**
     * One product with standard normal A and B, at odd offsets inside guarded buffers; C starts as NaN when
     * {@code beta == 0} (which must not leak).
     */
    public void check(String label, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                      boolean sameBitsAsCpu) {
        String what = label + ": gemm " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " m=" + m + " n=" + n + " k=" + k
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
                    if (sameBitsAsCpu
                            && Float.floatToRawIntBits(actual) != Float.floatToRawIntBits(cpu[r * n + col])) {
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

    /**
     * {@code alpha == 0} over A and B full of NaN: C becomes exactly {@code beta * C} (zeros when beta == 0), as
     * CpuGemm does, because A and B are not read.
     */
    public void alphaZero(String label) {
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
                    assertEquals(beta == 0f ? 0f : beta * c[i], got[PAD + i],
                            label + " beta=" + beta + " element " + i);
                }
            } finally {
                ab.close();
                bb.close();
                cb.close();
            }
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

    /**
     * {@code denseSoftmaxCrossEntropy} against its ops apart, on the backend's current GEMM choice for the shape: the
     * product, the bias and softmax, and the loss (z, y, the probabilities, the gradient and the statistics, laid out in
     * one buffer each way), then the bias gradient (columnSums of the gradient) against the op with a bias gradient;
     * sparse labels and one-hot targets with the same random rows. Fails unless every bit agrees; returns whether the
     * backend said it computes the bias gradient inside the loss op (Backend.biasGradientWithLoss).
     */
    public static boolean denseSoftmaxCrossEntropyIsItsOps(Backend backend, Random rnd, String label, int rows, int k,
                                                           int n) {
        for (boolean sparse : new boolean[] {true, false}) {
            String what = label + " " + rows + "x" + k + "x" + n + (sparse ? " sparse" : " one-hot");
            int[] labels = new int[rows];
            float[] oneHot = new float[rows * n];
            for (int r = 0; r < rows; r++) {
                labels[r] = rnd.nextInt(n);
                oneHot[r * n + labels[r]] = 1f;
            }
            try (Buffer x = gaussian(backend, rnd, rows * k); Buffer w = gaussian(backend, rnd, k * n);
                 Buffer bias = gaussian(backend, rnd, n);
                 Buffer targets = sparse ? backend.allocate(DType.I32, rows) : backend.allocate(DType.F32, rows * n);
                 Buffer apart = backend.allocate(DType.F32, 4 * rows * n + 2 + n);
                 Buffer fused = backend.allocate(DType.F32, 4 * rows * n + 2 + n)) {
                if (sparse) {
                    backend.upload(labels, 0, targets.all());
                } else {
                    backend.upload(oneHot, 0, targets.all());
                }
                Buffer[] both = {apart, fused};
                for (int j = 0; j < 2; j++) {
                    Slice z = both[j].slice(0, rows * n);
                    Slice y = both[j].slice(rows * n, rows * n);
                    Slice probs = both[j].slice(2 * rows * n, rows * n);
                    Slice dlogits = both[j].slice(3 * rows * n, rows * n);
                    Slice stats = both[j].slice(4 * rows * n, 2);
                    Slice dbias = both[j].slice(4 * rows * n + 2, n);
                    if (j == 0) {
                        backend.gemm(false, false, rows, n, k, 1f, x.all(), w.all(), 0f, z);
                        backend.biasActivationForward(z, bias.all(), rows, n, ActivationFunction.SOFTMAX, 0f, y);
                        backend.softmaxCrossEntropy(z, targets.all(), sparse, rows, n, probs, dlogits, 1f / rows,
                                stats);
                        backend.columnSums(dlogits, rows, n, dbias);
                    } else {
                        backend.denseSoftmaxCrossEntropy(x.all(), w.all(), bias.all(), rows, k, n, z, y,
                                targets.all(), sparse, probs, dlogits, 1f / rows, stats, dbias);
                    }
                }
                float[] expected = contents(backend, apart);
                float[] got = contents(backend, fused);
                if (!Arrays.equals(expected, got)) {
                    int at = Arrays.mismatch(expected, got);
                    fail(what + ": element " + at + " of (z, y, probs, dlogits, stats, dbias) differs: " + expected[at]
                            + " apart, " + got[at] + " in one op");
                }
            }
        }
        return backend.biasGradientWithLoss(rows, n);
    }

    /** A buffer of {@code n} standard normal floats from {@code rnd}, on {@code backend} (the caller closes it). */
    public static Buffer gaussian(Backend backend, java.util.Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        Buffer b = backend.allocate(DType.F32, n);
        backend.upload(v, 0, b.all());
        return b;
    }

    /** All of {@code b}'s floats. */
    public static float[] contents(Backend backend, Buffer b) {
        float[] v = new float[b.length()];
        backend.download(b.all(), v, 0);
        return v;
    }
}
