package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The op-set conformance suite: every {@link Backend} op against the float64 {@link Reference64}, with fresh
 * random inputs at several shapes (degenerate 1x1, odd 3x7 and 129x257, and sizes big enough that a backend
 * splits the work: 600x130 and the skinny 33000x2, both over 64K elements).
 *
 * <p>A backend's test class extends this and implements {@link #createBackend()}; the backend is created once
 * per class and closed afterwards. The suite uses only the {@link Backend} interface and reads every result
 * back with {@code download}, so it does not assume synchronous execution.
 *
 * <p>Every test buffer has guard elements on both sides of the slice an op sees; they must be intact after
 * the test (an op that writes past its slice fails). Outputs that an op "overwrites" start as NaN, so an op
 * that accumulates into them instead fails.
 *
 * <p>Seeds: a base seed ({@code -Ddendrite.seed=...}, else the clock) is printed once; each test derives its
 * own from it and its name, and every failure message quotes both.
 *
 * <p>Tolerances, in units of float32's unit roundoff {@code EPS = 2^-24 ~ 6e-8}:
 * <ul>
 *   <li>Sums of {@code k} terms (GEMM, column sums, batch statistics): {@code 4 EPS sqrt(k + 1)} times the sum
 *       of the terms' absolute values. Rounding errors of a float accumulation grow like {@code sqrt(k)} for
 *       random data (and like {@code log k} for tree reductions), so this is several times the typical
 *       error, while a wrong element (a missing or swapped term) is off by about one whole term.</li>
 *   <li>Element-wise transcendental math (activations, losses, probabilities): {@code 1e-5} relative plus a
 *       small absolute floor. GPU intrinsics such as {@code expf}, {@code tanhf}, {@code erff} are within a
 *       few ulp (about 5e-7 relative); 1e-5 leaves a wide margin while any formula mistake (a wrong constant,
 *       branch or kink convention) is off by 1e-3 or more.</li>
 *   <li>Pure data movement and {@code fl(z + bias)} are exact; a product and a sum may differ by an FMA, so
 *       affine transforms allow {@code 2 EPS} of their terms' magnitude.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformanceTest {
    /** float32 unit roundoff. */
    protected static final double EPS = 0x1.0p-24;
    private static final int PAD = 3;
    private static final float GUARD_F = -7777.25f;
    private static final int GUARD_I = -77_777;
    private static final byte GUARD_B = (byte) 0xA5;

    /** Matrix shapes, {rows, cols}: degenerate, odd, and two above 64K elements (one wide, one skinny). */
    protected static final int[][] SHAPES = {{1, 1}, {3, 7}, {129, 257}, {600, 130}, {33_000, 2}};

    /** The backend under test, created once per test class. */
    protected abstract Backend createBackend();

    protected Backend backend;
    private long baseSeed;
    /** This test's seed, quoted in every failure message. */
    protected long seed;
    protected Random rnd;
    private final List<Slice> guarded = new ArrayList<>();
    private final List<Buffer> owned = new ArrayList<>();

    @BeforeAll
    final void openBackend() {
        baseSeed = Long.getLong("dendrite.seed", System.nanoTime());
        backend = createBackend();
        System.out.println(getClass().getSimpleName() + ": " + backend.description() + "; base seed "
                + baseSeed + " (rerun with -Ddendrite.seed=" + baseSeed + ")");
    }

    @AfterAll
    final void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @BeforeEach
    final void seedTest(TestInfo info) {
        String name = info.getTestMethod().map(m -> m.getName()).orElse("") + info.getDisplayName();
        seed = baseSeed * 31 + name.hashCode();
        rnd = new Random(seed);
    }

    @AfterEach
    final void checkGuardsAndFree() {
        try {
            for (Slice s : guarded) {
                Buffer b = s.buffer();
                if (b.dtype() == DType.F32) {
                    float[] all = new float[b.length()];
                    backend.download(b.all(), all, 0);
                    for (int i = 0; i < b.length(); i++) {
                        if ((i < s.offset() || i >= s.offset() + s.length()) && all[i] != GUARD_F) {
                            fail("guard element " + i + " of an F32 buffer around " + s + " was overwritten with "
                                    + all[i] + ctx());
                        }
                    }
                } else if (b.dtype() == DType.I32) {
                    int[] all = new int[b.length()];
                    backend.download(b.all(), all, 0);
                    for (int i = 0; i < b.length(); i++) {
                        if ((i < s.offset() || i >= s.offset() + s.length()) && all[i] != GUARD_I) {
                            fail("guard element " + i + " of an I32 buffer around " + s + " was overwritten with "
                                    + all[i] + ctx());
                        }
                    }
                }
            }
        } finally {
            for (Buffer b : owned) {
                b.close();
            }
            owned.clear();
            guarded.clear();
        }
    }

    // ================================================================== buffers

    /** Uploads {@code data} into a new F32 buffer between guard elements; returns the data's slice. */
    protected Slice f32(float[] data) {
        float[] all = new float[data.length + 2 * PAD];
        Arrays.fill(all, GUARD_F);
        System.arraycopy(data, 0, all, PAD, data.length);
        Buffer b = backend.allocate(DType.F32, all.length);
        owned.add(b);
        backend.upload(all, 0, b.all());
        Slice s = b.slice(PAD, data.length);
        guarded.add(s);
        return s;
    }

    /** A guarded F32 output slice of {@code n} elements, pre-filled with NaN. */
    protected Slice f32Out(int n) {
        float[] nan = new float[n];
        Arrays.fill(nan, Float.NaN);
        return f32(nan);
    }

    protected Slice i32(int[] data) {
        int[] all = new int[data.length + 2 * PAD];
        Arrays.fill(all, GUARD_I);
        System.arraycopy(data, 0, all, PAD, data.length);
        Buffer b = backend.allocate(DType.I32, all.length);
        owned.add(b);
        backend.upload(all, 0, b.all());
        Slice s = b.slice(PAD, data.length);
        guarded.add(s);
        return s;
    }

    protected Slice u8(byte[] data) {
        byte[] all = new byte[data.length + 2 * PAD];
        Arrays.fill(all, GUARD_B);
        System.arraycopy(data, 0, all, PAD, data.length);
        Buffer b = backend.allocate(DType.U8, all.length);
        owned.add(b);
        backend.upload(all, 0, b.all());
        return b.slice(PAD, data.length);
    }

    protected float[] get(Slice s) {
        float[] out = new float[s.length()];
        backend.download(s, out, 0);
        return out;
    }

    protected int[] getInts(Slice s) {
        int[] out = new int[s.length()];
        backend.download(s, out, 0);
        return out;
    }

    // ================================================================== random data

    protected float[] normal(int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return x;
    }

    protected float[] uniform(int n, double lo, double hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return x;
    }

    /** Moves values closer than {@code gap} to {@code avoid} out to distance at least {@code gap}. */
    protected static void keepAway(float[] x, float avoid, float gap) {
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i] - avoid) < gap) {
                x[i] = x[i] < avoid ? avoid - 2 * gap : avoid + 2 * gap;
            }
        }
    }

    protected static double[] d(float[] x) {
        return Reference64.toDouble(x);
    }

    private static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxAbs(float[] x) {
        return maxAbs(d(x));
    }

    // ================================================================== comparisons

    private String ctx() {
        return " [seed " + seed + ", base seed " + baseSeed + ", backend " + backend.name() + "]";
    }

    /** {@code |actual - expected| <= atol + rtol |expected|} element-wise; NaN must match NaN. */
    protected void assertClose(String what, double[] expected, float[] actual, double rtol, double atol) {
        double[] tol = new double[expected.length];
        for (int i = 0; i < tol.length; i++) {
            tol[i] = atol + rtol * Math.abs(expected[i]);
        }
        assertWithin(what, expected, actual, tol);
    }

    /** {@code |actual - expected| <= tol[i]} element-wise, reporting the count and the worst offender. */
    protected void assertWithin(String what, double[] expected, float[] actual, double[] tol) {
        assertEquals(expected.length, actual.length, what + ": length" + ctx());
        int bad = 0;
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            boolean ok;
            double ratio;
            if (Double.isNaN(e) || Double.isNaN(a)) {
                ok = Double.isNaN(e) && Double.isNaN(a);
                ratio = ok ? 0 : Double.POSITIVE_INFINITY;
            } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
                ok = e == a;
                ratio = ok ? 0 : Double.POSITIVE_INFINITY;
            } else {
                double err = Math.abs(a - e);
                ok = err <= tol[i];
                ratio = err / Math.max(tol[i], Double.MIN_VALUE);
            }
            if (!ok) {
                bad++;
                if (ratio > worstRatio || worst < 0) {
                    worstRatio = ratio;
                    worst = i;
                }
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.length + " elements out of tolerance; worst at " + worst
                    + ": expected " + expected[worst] + ", got " + actual[worst] + ", tolerance " + tol[worst]
                    + ctx());
        }
    }

    /** Tolerance for sums: {@code 4 EPS sqrt(k + 1) sum|terms| + extra}, per element. */
    protected static double[] sumTolerance(double[] absSums, int k, double extra) {
        double[] tol = new double[absSums.length];
        for (int i = 0; i < tol.length; i++) {
            tol[i] = 4 * EPS * Math.sqrt(k + 1.0) * absSums[i] + extra;
        }
        return tol;
    }

    private static double[] columnAbsSums(double[] x, int rows, int cols) {
        double[] s = new double[cols];
        for (int i = 0; i < rows * cols; i++) {
            s[i % cols] += Math.abs(x[i]);
        }
        return s;
    }

    // ================================================================== memory

    @Test
    void allocateGivesZeroFilledBuffersOfEveryType() {
        Buffer f = backend.allocate(DType.F32, 37);
        Buffer i = backend.allocate(DType.I32, 11);
        Buffer u = backend.allocate(DType.U8, 5);
        Buffer empty = backend.allocate(DType.F32, 0);
        owned.addAll(List.of(f, i, u, empty));
        assertEquals(37, f.length());
        assertEquals(DType.U8, u.dtype());
        assertTrue(f.backend() == backend, "buffer knows its backend");
        assertArrayEquals(new float[37], get(f.all()));
        assertArrayEquals(new int[11], getInts(i.all()));
        // U8 has no download: read it through a plain gather into F32.
        Slice out = f32Out(5);
        backend.gather(u.all(), 5, null, null, 1, 1, null, null, out);
        assertArrayEquals(new float[5], get(out));
        assertEquals(0, get(empty.all()).length);
    }

    @Test
    void uploadAndDownloadHonourOffsets() {
        float[] src = normal(20, 1);
        Slice s = f32Out(15);
        backend.upload(src, 4, s);
        float[] back = new float[19];
        Arrays.fill(back, 42f);
        backend.download(s, back, 2);
        for (int k = 0; k < 19; k++) {
            float expected = k < 2 || k >= 17 ? 42f : src[4 + k - 2];
            assertEquals(expected, back[k], 0f, "element " + k);
        }
        int[] ints = {5, -6, 7, Integer.MIN_VALUE, Integer.MAX_VALUE};
        Slice is = i32(new int[4]);
        backend.upload(ints, 1, is);
        assertArrayEquals(Arrays.copyOfRange(ints, 1, 5), getInts(is));
        int[] intBack = new int[6];
        backend.download(is, intBack, 2);
        assertArrayEquals(new int[] {0, 0, -6, 7, Integer.MIN_VALUE, Integer.MAX_VALUE}, intBack);
    }

    @Test
    void fillTouchesOnlyItsSlice() {
        float[] x = normal(10, 1);
        Slice s = f32(x);
        backend.fill(s.slice(2, 5), 3.5f);
        float[] got = get(s);
        for (int k = 0; k < 10; k++) {
            assertEquals(k >= 2 && k < 7 ? 3.5f : x[k], got[k], 0f, "element " + k);
        }
        backend.fill(s, Float.NEGATIVE_INFINITY);
        for (float v : get(s)) {
            assertEquals(Float.NEGATIVE_INFINITY, v);
        }
    }

    @Test
    void copyEveryTypeBetweenSubSlices() {
        float[] x = normal(12, 1);
        Slice a = f32(x);
        Slice b = f32(new float[12]);
        backend.copy(a.slice(1, 6), b.slice(5, 6));
        float[] got = get(b);
        for (int k = 0; k < 12; k++) {
            assertEquals(k >= 5 && k < 11 ? x[k - 4] : 0f, got[k], 0f, "F32 element " + k);
        }
        Slice ia = i32(new int[] {1, 2, 3, 4});
        Slice ib = i32(new int[] {9, 9, 9, 9});
        backend.copy(ia.slice(0, 3), ib.slice(1, 3));
        assertArrayEquals(new int[] {9, 1, 2, 3}, getInts(ib));
        byte[] bytes = {0, 1, (byte) 200, (byte) 255, 17};
        Slice ua = u8(bytes);
        Slice ub = u8(new byte[5]);
        backend.copy(ua, ub);
        Slice out = f32Out(5);
        backend.gather(ub, 5, null, null, 1, 1, null, null, out);
        assertArrayEquals(new float[] {0, 1, 200, 255, 17}, get(out));
        // Copy within one buffer, disjoint ranges.
        Slice c = f32(new float[] {1, 2, 3, 4, 5, 6});
        backend.copy(c.slice(0, 2), c.slice(4, 2));
        assertArrayEquals(new float[] {1, 2, 3, 4, 1, 2}, get(c));
    }

    @Test
    void synchronizeReturnsAfterIssuedWork() {
        Slice s = f32Out(1000);
        backend.fill(s, 2f);
        backend.synchronize();
        assertEquals(2f, get(s)[999]);
    }

    // ================================================================== gemm

    @Test
    void gemmAllTransposesAndBetas() {
        int[][] shapes = {{1, 1, 1}, {3, 7, 5}, {129, 257, 33}, {200, 150, 257}, {4, 5, 0}};
        for (int[] shape : shapes) {
            int m = shape[0];
            int n = shape[1];
            int k = shape[2];
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    for (float beta : new float[] {0f, 0.75f}) {
                        float alpha = rnd.nextBoolean() ? 1f : -1.5f;
                        float[] a = normal(m * k, 1);
                        float[] b = normal(k * n, 1);
                        float[] c = beta == 0f ? nanArray(m * n) : normal(m * n, 1);
                        Slice cs = f32(c);
                        backend.gemm(transA, transB, m, n, k, alpha, f32(a), f32(b), beta, cs);
                        double[] expected = Reference64.gemm(transA, transB, m, n, k, alpha, d(a), d(b), beta, d(c));
                        double[] scale = Reference64.gemmAbsScale(transA, transB, m, n, k, d(a), d(b));
                        double[] tol = new double[m * n];
                        for (int i = 0; i < tol.length; i++) {
                            double terms = Math.abs(alpha) * scale[i] + (beta == 0f ? 0 : Math.abs(beta * c[i]));
                            tol[i] = 4 * EPS * Math.sqrt(k + 2.0) * terms + 1e-30;
                        }
                        assertWithin("gemm " + m + "x" + n + "x" + k + " transA=" + transA + " transB=" + transB
                                + " alpha=" + alpha + " beta=" + beta, expected, get(cs), tol);
                    }
                }
            }
        }
    }

    private static float[] nanArray(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** Every reduction that ends in one number (column sums, penalty, loss statistics) repeats its bits. */
    @Test
    void reductionsAreDeterministic() {
        float[] x = normal(600 * 130, 3);
        // Drawn once: the sums must repeat on the same inputs (first run on an H200, a target array drawn anew in
        // each run made this test fail on its own input, not on the backend).
        float[] targets = uniform(x.length, 0, 1);
        float[] first = null;
        for (int run = 0; run < 3; run++) {
            Slice stats = f32(new float[2]);
            Slice sums = f32Out(130);
            backend.columnSums(f32(x), 600, 130, sums);
            backend.regularizerPenalty(f32(x), x.length, 0.01f, 0.02f, 1f, stats);
            backend.sigmoidCrossEntropy(f32(x), f32(targets), 600, 130, f32Out(x.length), null, 1f,
                    stats);
            float[] got = concat(get(sums), get(stats));
            if (first == null) {
                first = got;
            } else {
                assertArrayEquals(first, got, "run " + run);
            }
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void columnSums() {
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            float[] x = normal(rows * cols, 2);
            Slice out = f32Out(cols);
            backend.columnSums(f32(x), rows, cols, out);
            double[] expected = Reference64.columnSums(d(x), rows, cols);
            assertWithin("columnSums " + rows + "x" + cols, expected, get(out),
                    sumTolerance(columnAbsSums(d(x), rows, cols), rows, 1e-30));
        }
    }

    // ================================================================== activations

    private static float alphaFor(ActivationFunction f) {
        return f == ActivationFunction.LEAKY_RELU ? 0.15f : f == ActivationFunction.ELU ? 0.8f : f.defaultAlpha();
    }

    /**
     * Normal pre-activations with a few extremes, exact zeros and the other kinks (the conventions there) at the
     * front; for {@code exponential} the extremes stay where its float value is finite (below 88.7).
     */
    private float[] preActivations(ActivationFunction f, int n) {
        float[] z = normal(n, 3);
        float big = f == ActivationFunction.EXPONENTIAL ? 80f : 100f;
        float[] special = {0f, -30f, 30f, -big, big, 1e-3f, -1e-3f, -0f, 0.5f, -0.5f, 1f, -1f, 3f, -3f, 6f};
        for (int i = 0; i < Math.min(n, special.length); i++) {
            z[i] = special[i];
        }
        return z;
    }

    @Test
    void biasActivationForwardEveryActivation() {
        for (ActivationFunction f : ActivationFunction.values()) {
            float alpha = alphaFor(f);
            for (int[] shape : SHAPES) {
                int rows = shape[0];
                int cols = shape[1];
                for (boolean withBias : new boolean[] {false, true}) {
                    String what = f + " " + rows + "x" + cols + (withBias ? " with bias" : "");
                    float[] z = preActivations(f, rows * cols);
                    if (f == ActivationFunction.SOFTMAX && rows * cols >= 3) {
                        z[0] = 1e4f;
                        z[1] = -1e4f;
                    }
                    float[] bias = withBias ? normal(cols, 1) : null;
                    Slice zs = f32(z);
                    Slice ys = f32Out(rows * cols);
                    backend.biasActivationForward(zs, withBias ? f32(bias) : null, rows, cols, f, alpha, ys);
                    // z now holds fl(z + bias): one correctly rounded float addition, exact on every device.
                    double[] pre = new double[z.length];
                    for (int i = 0; i < z.length; i++) {
                        pre[i] = withBias ? z[i] + bias[i % cols] : z[i]; // a float addition: fl(z + b)
                    }
                    assertClose(what + ": z += bias", pre, get(zs), 0, 0);
                    double[] expected = Reference64.activationForward(f, alpha, pre, rows, cols);
                    assertClose(what + ": y", expected, get(ys), 1e-5, 1e-6);
                }
            }
        }
    }

    /**
     * denseForward is the product and then the bias and activation, to the bit, whatever a backend fuses (the
     * CUDA backend folds a product split over k into them); the products are course-sized, so that a GPU's tuner
     * may pick such a split.
     */
    @Test
    void denseForwardIsTheProductThenTheBiasAndActivation() {
        int rows = 128;
        int k = 256;
        for (int n : new int[] {96, 10}) {
            float[] x = normal(rows * k, 1);
            float[] w = normal(k * n, 0.1);
            for (ActivationFunction f : new ActivationFunction[] {ActivationFunction.RELU, ActivationFunction.SELU,
                    ActivationFunction.LEAKY_RELU, ActivationFunction.LINEAR, ActivationFunction.SOFTMAX}) {
                for (boolean withBias : new boolean[] {false, true}) {
                    String what = "denseForward " + f + " n=" + n + (withBias ? " with bias" : "");
                    Slice bias = withBias ? f32(normal(n, 1)) : null;
                    float alpha = alphaFor(f);
                    Slice z1 = f32Out(rows * n);
                    Slice y1 = f32Out(rows * n);
                    backend.gemm(false, false, rows, n, k, 1f, f32(x), f32(w), 0f, z1);
                    backend.biasActivationForward(z1, bias, rows, n, f, alpha, y1);
                    Slice z2 = f32Out(rows * n);
                    Slice y2 = f32Out(rows * n);
                    backend.denseForward(f32(x), f32(w), bias, rows, k, n, f, alpha, z2, y2);
                    assertArrayEquals(get(z1), get(z2), what + ": z");
                    assertArrayEquals(get(y1), get(y2), what + ": y");
                }
            }
        }
    }

    @Test
    void linearForwardMayRunInPlace() {
        int rows = 5;
        int cols = 4;
        float[] z = normal(rows * cols, 1);
        float[] bias = normal(cols, 1);
        Slice zs = f32(z);
        backend.biasActivationForward(zs, f32(bias), rows, cols, ActivationFunction.LINEAR, 0f, zs);
        double[] expected = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            expected[i] = z[i] + bias[i % cols]; // float addition
        }
        assertClose("linear in place", expected, get(zs), 0, 0);
    }

    @Test
    void activationBackwardEveryActivation() {
        for (ActivationFunction f : ActivationFunction.values()) {
            float alpha = alphaFor(f);
            for (int[] shape : SHAPES) {
                int rows = shape[0];
                int cols = shape[1];
                float[] z = preActivations(f, rows * cols);
                double[] yRef = Reference64.activationForward(f, alpha, d(z), rows, cols);
                float[] y = new float[yRef.length];
                for (int i = 0; i < y.length; i++) {
                    y[i] = (float) yRef[i];
                }
                float[] dy = normal(rows * cols, 1);
                double[] expected = Reference64.activationBackward(f, alpha, d(z), d(y), d(dy), rows, cols);
                double atol = 1e-6 * Math.max(1, maxAbs(dy));
                double[] dbiasExpected = Reference64.columnSums(expected, rows, cols);
                double[] dbiasTol = sumTolerance(columnAbsSums(expected, rows, cols), rows, 0);
                for (int c = 0; c < cols; c++) {
                    // each dz carries its own tolerance into the sum as well
                    dbiasTol[c] += 1e-5 * columnAbsSums(expected, rows, cols)[c] + rows * atol;
                }
                for (int variant = 0; variant < 3; variant++) {
                    String what = f + " " + rows + "x" + cols
                            + (variant == 0 ? "" : variant == 1 ? " with dbias" : " in place (dz = dy) with dbias");
                    Slice zs = f32(z);
                    Slice ys = f32(y);
                    Slice dys = f32(dy);
                    Slice dzs = variant == 2 ? dys : f32Out(rows * cols);
                    Slice db = variant == 0 ? null : f32Out(cols);
                    backend.activationBackward(zs, ys, dys, rows, cols, f, alpha, dzs, db);
                    assertClose(what + ": dz", expected, get(dzs), 1e-5, atol);
                    if (db != null) {
                        assertWithin(what + ": dbias", dbiasExpected, get(db), dbiasTol);
                    }
                    if (variant != 2) {
                        assertClose(what + ": dy untouched", d(dy), get(dys), 0, 0);
                    }
                    assertClose(what + ": z untouched", d(z), get(zs), 0, 0);
                }
            }
        }
    }

    // ================================================================== losses

    @Test
    void softmaxCrossEntropySparseAndDense() {
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            for (boolean sparse : new boolean[] {true, false}) {
                for (boolean withGrad : new boolean[] {true, false}) {
                    String what = "softmaxCE " + rows + "x" + cols + (sparse ? " sparse" : " dense")
                            + (withGrad ? " with dlogits" : "");
                    float[] z = normal(rows * cols, 3);
                    // Extreme logits (row 0), an exact tie (row 1: arg-max is the first index), a lone winner
                    // far in the negative range (row 2).
                    if (cols >= 3) {
                        z[0] = 1e4f;
                        z[1] = -1e4f;
                        if (rows > 1) {
                            Arrays.fill(z, cols, 2 * cols, 5f);
                        }
                        if (rows > 2) {
                            Arrays.fill(z, 2 * cols, 3 * cols, -1e4f);
                            z[3 * cols - 1] = 1e4f;
                        }
                    }
                    int[] labels = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        labels[r] = rnd.nextInt(cols);
                    }
                    if (rows > 1 && cols >= 3) {
                        labels[1] = rnd.nextBoolean() ? 0 : 1; // the tie row: hit only for label 0
                    }
                    float[] targets = new float[rows * cols];
                    for (int r = 0; r < rows; r++) {
                        if (r % 2 == 0) {
                            targets[r * cols + labels[r]] = 1f;
                        } else {
                            float[] t = normal(cols, 1);
                            double[] p = Reference64.softmax(d(t), 1, cols);
                            for (int c = 0; c < cols; c++) {
                                targets[r * cols + c] = (float) p[c];
                            }
                        }
                    }
                    float gradScale = 1f / rows;
                    Slice probs = f32Out(rows * cols);
                    Slice grad = withGrad ? f32Out(rows * cols) : null;
                    Slice stats = f32(new float[] {0.25f, 3f});
                    backend.softmaxCrossEntropy(f32(z), sparse ? i32(labels) : f32(targets), sparse, rows, cols,
                            probs, grad, gradScale, stats);
                    Reference64.LossResult ref = sparse
                            ? Reference64.softmaxCrossEntropy(d(z), labels, rows, cols)
                            : Reference64.softmaxCrossEntropy(d(z), d(targets), rows, cols);
                    assertClose(what + ": probs", ref.probs, get(probs), 1e-5, 1e-7);
                    if (withGrad) {
                        double[] g = scaled(ref.grad, gradScale);
                        assertClose(what + ": dlogits", g, get(grad), 1e-5, 2e-7 * gradScale);
                    }
                    checkStats(what, stats, 0.25 + ref.loss, lossTolerance(ref.rowLoss), 3 + ref.accuracy, 1e-3);
                }
            }
        }
    }

    /** Per-row losses are good to ~1e-6 relative plus ~1e-6 absolute (log-sum-exp in float); 10x margin. */
    private static double lossTolerance(double[] rowLoss) {
        double t = 0;
        for (double l : rowLoss) {
            t += 1e-5 * (Math.abs(l) + 1);
        }
        return t;
    }

    private void checkStats(String what, Slice stats, double loss, double lossTol, double acc, double accTol) {
        float[] st = get(stats);
        assertEquals(loss, st[Backend.STAT_LOSS], lossTol + 2 * EPS * Math.abs(loss), what + ": stats[LOSS]" + ctx());
        assertEquals(acc, st[Backend.STAT_ACCURACY], accTol + 2 * EPS * Math.abs(acc),
                what + ": stats[ACCURACY]" + ctx());
    }

    @Test
    void softmaxCrossEntropySingleClassAndAccumulation() {
        // One class: p = 1, loss 0, every row correct; a second call adds to the same stats.
        int rows = 4;
        Slice stats = f32(new float[] {0f, 0f});
        Slice probs = f32Out(rows);
        Slice grad = f32Out(rows);
        Slice z = f32(normal(rows, 5));
        Slice labels = i32(new int[rows]);
        backend.softmaxCrossEntropy(z, labels, true, rows, 1, probs, grad, 1f, stats);
        backend.softmaxCrossEntropy(z, labels, true, rows, 1, probs, grad, 1f, stats);
        assertArrayEquals(new float[] {1, 1, 1, 1}, get(probs));
        assertArrayEquals(new float[] {0, 0, 0, 0}, get(grad));
        assertArrayEquals(new float[] {0f, 2f * rows}, get(stats));
    }

    @Test
    void sigmoidCrossEntropy() {
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            for (boolean withGrad : new boolean[] {true, false}) {
                String what = "sigmoidCE " + rows + "x" + cols + (withGrad ? " with dlogits" : "");
                float[] z = normal(rows * cols, 3);
                keepAway(z, 0f, 1e-3f); // (p > 0.5) is decided by the sign of z, safely
                float[] extremes = {1e4f, -1e4f, 50f, -50f};
                for (int i = 0; i < Math.min(z.length, extremes.length); i++) {
                    z[i] = extremes[i];
                }
                float[] t = uniform(rows * cols, 0, 1);
                keepAway(t, 0.5f, 1e-4f);
                for (int i = 0; i < t.length; i += 5) {
                    t[i] = (i / 5) % 2 == 0 ? 0f : 1f;
                }
                float gradScale = 0.5f;
                Slice probs = f32Out(rows * cols);
                Slice grad = withGrad ? f32Out(rows * cols) : null;
                Slice stats = f32(new float[] {1.5f, 0.5f});
                backend.sigmoidCrossEntropy(f32(z), f32(t), rows, cols, probs, grad, gradScale, stats);
                Reference64.LossResult ref = Reference64.sigmoidCrossEntropy(d(z), d(t), rows, cols);
                assertClose(what + ": probs", ref.probs, get(probs), 1e-5, 1e-7);
                if (withGrad) {
                    double[] g = scaled(ref.grad, gradScale);
                    assertClose(what + ": dlogits", g, get(grad), 1e-5, 2e-7 * gradScale / cols);
                }
                // accuracy is a sum of fractions k / cols: each exact to a float rounding
                checkStats(what, stats, 1.5 + ref.loss, lossTolerance(ref.rowLoss), 0.5 + ref.accuracy, 1e-5 * rows);
            }
        }
    }

    /**
     * Keras's {@code class_weight}: each row's loss and gradient times its class's weight (its label, or its target's
     * arg-max), the probabilities and the accuracy as without; the float64 reference weights its unweighted result.
     * The weights include 0 (a class left out of the loss) and values up to 3.25, so the unweighted test's tolerances
     * are scaled by 3.25 (a product with one more rounding, well within them).
     */
    @Test
    void classWeightsScaleTheSoftmaxLossAndGradientNotTheAccuracy() {
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            float[] cw = new float[cols];
            for (int c = 0; c < cols; c++) {
                cw[c] = c % 4 == 2 ? 0f : (float) (0.25 + 3 * rnd.nextDouble());
            }
            for (boolean sparse : new boolean[] {true, false}) {
                String what = "class-weighted softmaxCE " + rows + "x" + cols + (sparse ? " sparse" : " dense");
                float[] z = normal(rows * cols, 3);
                int[] labels = new int[rows];
                float[] targets = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    labels[r] = rnd.nextInt(cols);
                    if (sparse || r % 2 == 0) {
                        targets[r * cols + labels[r]] = 1f;
                    } else {
                        double[] p = Reference64.softmax(d(normal(cols, 1)), 1, cols);
                        for (int c = 0; c < cols; c++) {
                            targets[r * cols + c] = (float) p[c];
                        }
                    }
                }
                float gradScale = 1f / rows;
                Slice probs = f32Out(rows * cols);
                Slice grad = f32Out(rows * cols);
                Slice stats = f32(new float[] {0.25f, 3f});
                backend.softmaxCrossEntropy(f32(z), sparse ? i32(labels) : f32(targets), sparse, rows, cols, f32(cw),
                        null, probs, grad, gradScale, stats);
                double[] w = Reference64.rowWeights(d(targets), rows, cols, d(cw));
                Reference64.LossResult ref = Reference64.classWeighted(sparse
                        ? Reference64.softmaxCrossEntropy(d(z), labels, rows, cols)
                        : Reference64.softmaxCrossEntropy(d(z), d(targets), rows, cols), w, cols);
                assertClose(what + ": probs", ref.probs, get(probs), 1e-5, 1e-7);
                double[] g = scaled(ref.grad, gradScale);
                assertClose(what + ": dlogits", g, get(grad), 1e-5, 3.25 * 2e-7 * gradScale);
                checkStats(what, stats, 0.25 + ref.loss, 3.25 * lossTolerance(ref.rowLoss), 3 + ref.accuracy, 1e-3);
            }
        }
    }

    /**
     * A binary classifier's {@code class_weight}: one output, its class the target rounded (t > 0.5 is class 1), each
     * row's loss and gradient times that class's weight, the accuracy as without; tolerances as the unweighted test's
     * times the largest weight, 5.
     */
    @Test
    void classWeightsScaleTheBinaryLossAndGradientNotTheAccuracy() {
        for (int rows : new int[] {1, 7, 300, 33_000}) {
            String what = "class-weighted sigmoidCE " + rows + "x1";
            float[] z = normal(rows, 3);
            keepAway(z, 0f, 1e-3f);
            float[] t = uniform(rows, 0, 1);
            keepAway(t, 0.5f, 1e-4f);
            for (int i = 0; i < t.length; i += 3) {
                t[i] = (i / 3) % 2 == 0 ? 0f : 1f;
            }
            float[] cw = {0.3f, 5f};
            float gradScale = 0.5f;
            Slice probs = f32Out(rows);
            Slice grad = f32Out(rows);
            Slice stats = f32(new float[] {1.5f, 0.5f});
            backend.sigmoidCrossEntropy(f32(z), f32(t), rows, 1, f32(cw), null, probs, grad, gradScale, stats);
            double[] w = Reference64.binaryRowWeights(d(t), d(cw));
            Reference64.LossResult ref = Reference64.classWeighted(Reference64.sigmoidCrossEntropy(d(z), d(t), rows, 1),
                    w, 1);
            assertClose(what + ": probs", ref.probs, get(probs), 1e-5, 1e-7);
            double[] g = scaled(ref.grad, gradScale);
            assertClose(what + ": dlogits", g, get(grad), 1e-5, 5 * 2e-7 * gradScale);
            checkStats(what, stats, 1.5 + ref.loss, 5 * lossTolerance(ref.rowLoss), 0.5 + ref.accuracy, 1e-5 * rows);
        }
    }

    /**
     * Keras's {@code sample_weight}: each row's loss and gradient times its own weight (0 included), with and without
     * class weights beside it (their product), for the three loss ops; the probabilities and the accuracy as without.
     * The float64 reference weights its unweighted result. Weights up to 3, class weights up to 2: the unweighted
     * tests' tolerances scaled by 6.
     */
    @Test
    void rowWeightsScaleEveryLossAndGradientNotTheAccuracy() {
        for (int[] shape : new int[][] {{1, 1}, {3, 7}, {129, 257}, {600, 3}, {33_000, 2}}) {
            int rows = shape[0];
            int cols = shape[1];
            float[] rw = uniform(rows, 0, 3);
            for (int r = 0; r < rows; r += 7) {
                rw[r] = 0f;
            }
            float[] cw = uniform(cols, 0.5f, 2);
            float gradScale = 1f / rows;
            for (boolean classes : new boolean[] {false, true}) {
                String what = "row-weighted softmaxCE " + rows + "x" + cols + (classes ? " with class weights" : "");
                float[] z = normal(rows * cols, 3);
                int[] labels = new int[rows];
                float[] onehot = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    labels[r] = rnd.nextInt(cols);
                    onehot[r * cols + labels[r]] = 1f;
                }
                Slice probs = f32Out(rows * cols);
                Slice grad = f32Out(rows * cols);
                Slice stats = f32(new float[] {0.25f, 3f});
                backend.softmaxCrossEntropy(f32(z), i32(labels), true, rows, cols, classes ? f32(cw) : null, f32(rw),
                        probs, grad, gradScale, stats);
                double[] w = d(rw);
                if (classes) {
                    double[] byClass = Reference64.rowWeights(d(onehot), rows, cols, d(cw));
                    for (int r = 0; r < rows; r++) {
                        w[r] = (float) ((float) byClass[r] * rw[r]); // the kernels' float product
                    }
                }
                Reference64.LossResult ref = Reference64.classWeighted(Reference64.softmaxCrossEntropy(d(z), labels,
                        rows, cols), w, cols);
                assertClose(what + ": probs", ref.probs, get(probs), 1e-5, 1e-7);
                assertClose(what + ": dlogits", scaled(ref.grad, gradScale), get(grad), 1e-5, 6 * 2e-7 * gradScale);
                checkStats(what, stats, 0.25 + ref.loss, 6 * lossTolerance(ref.rowLoss), 3 + ref.accuracy, 1e-3);
            }
            String what = "row-weighted sigmoidCE " + rows + "x" + cols;
            float[] z = normal(rows * cols, 3);
            keepAway(z, 0f, 1e-3f);
            float[] t = uniform(rows * cols, 0, 1);
            keepAway(t, 0.5f, 1e-4f);
            Slice probs = f32Out(rows * cols);
            Slice grad = f32Out(rows * cols);
            Slice stats = f32(new float[] {1.5f, 0.5f});
            backend.sigmoidCrossEntropy(f32(z), f32(t), rows, cols, null, f32(rw), probs, grad, gradScale, stats);
            Reference64.LossResult ref = Reference64.classWeighted(Reference64.sigmoidCrossEntropy(d(z), d(t), rows,
                    cols), d(rw), cols);
            assertClose(what + ": probs", ref.probs, get(probs), 1e-5, 1e-7);
            assertClose(what + ": dlogits", scaled(ref.grad, gradScale), get(grad), 1e-5, 3 * 2e-7 * gradScale / cols);
            checkStats(what, stats, 1.5 + ref.loss, 3 * lossTolerance(ref.rowLoss), 0.5 + ref.accuracy, 1e-5 * rows);
            for (float delta : new float[] {0f, 1f}) {
                boolean huber = delta > 0;
                what = "row-weighted " + (huber ? "Huber " : "MAE ") + rows + "x" + cols;
                float[] p = normal(rows * cols, 1);
                float[] tr = normal(rows * cols, 1);
                for (int i = 0; i < p.length; i++) {
                    float dd = p[i] - tr[i];
                    if (Math.abs(dd) < 1e-3 || huber && Math.abs(Math.abs(dd) - delta) < 1e-3
                            || cols == 1 && Math.abs(Math.abs(dd) - 0.5) < 1e-3) {
                        p[i] = tr[i] + 0.123f; // clear of every kink and of the 0.5 accuracy edge
                    }
                }
                Slice dpred = f32Out(rows * cols);
                Slice rstats = f32(new float[] {0f, 1f});
                backend.regressionLoss(f32(p), f32(tr), rows, cols, huber ? RegressionKind.HUBER
                        : RegressionKind.ABSOLUTE_ERROR, delta, f32(rw), dpred, gradScale, rstats);
                Reference64.LossResult rref = Reference64.classWeighted(Reference64.regressionLoss(d(p), d(tr), rows,
                        cols, huber, delta), d(rw), cols);
                assertClose(what + ": dpred", scaled(rref.grad, gradScale), get(dpred), 1e-6, 1e-12);
                checkStats(what, rstats, rref.loss, 3 * lossTolerance(rref.rowLoss), 1 + rref.accuracy, 1e-3);
            }
        }
    }

    private static double[] scaled(double[] v, double factor) {
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= factor;
        }
        return out;
    }

    @Test
    void meanSquaredError() {
        int[][] shapes = {{1, 1}, {200, 1}, {3, 7}, {129, 257}, {600, 130}, {33_000, 2}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            for (boolean withGrad : new boolean[] {true, false}) {
                String what = "MSE " + rows + "x" + cols + (withGrad ? " with dpred" : "");
                float[] p = normal(rows * cols, 1);
                float[] t = normal(rows * cols, 1);
                if (cols == 1) {
                    for (int i = 0; i < p.length; i++) {
                        double e = Math.abs(p[i] - t[i]);
                        if (Math.abs(e - 0.5) < 1e-3) {
                            p[i] = t[i] + 0.25f; // keep |pred - t| clearly on one side of 0.5
                        }
                    }
                }
                float gradScale = 1f / rows;
                Slice grad = withGrad ? f32Out(rows * cols) : null;
                Slice stats = f32(new float[] {0f, 1f});
                backend.meanSquaredError(f32(p), f32(t), rows, cols, grad, gradScale, stats);
                Reference64.LossResult ref = Reference64.meanSquaredError(d(p), d(t), rows, cols);
                if (withGrad) {
                    double[] g = scaled(ref.grad, gradScale);
                    // (pred - t) is one float subtraction: 2 EPS relative on top of the product's rounding
                    assertClose(what + ": dpred", g, get(grad), 1e-6, 1e-12);
                }
                checkStats(what, stats, ref.loss, lossTolerance(ref.rowLoss), 1 + ref.accuracy, 1e-3);
            }
        }
    }

    /**
     * Mean absolute error and Huber loss (delta 1 and 0.3) against the float64 reference, with errors kept 1e-3 away
     * from the kinks (d = 0, |d| = delta), where float and double may fall on different sides; the gradient is
     * exact there up to the one rounding of the scale's product, the loss a Kahan sum (lossTolerance).
     */
    @Test
    void absoluteErrorAndHuberLosses() {
        int[][] shapes = {{1, 1}, {3, 7}, {129, 257}, {33_000, 2}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            for (float delta : new float[] {0f, 1f, 0.3f}) {
                boolean huber = delta > 0;
                String what = (huber ? "Huber(" + delta + ") " : "MAE ") + rows + "x" + cols;
                float[] p = normal(rows * cols, 1);
                float[] t = normal(rows * cols, 1);
                for (int i = 0; i < p.length; i++) {
                    float d = p[i] - t[i];
                    if (Math.abs(d) < 1e-3 || huber && Math.abs(Math.abs(d) - delta) < 1e-3
                            || cols == 1 && Math.abs(Math.abs(d) - 0.5) < 1e-3) {
                        p[i] = t[i] + 0.123f; // clear of every kink and of the 0.5 accuracy edge
                    }
                }
                float gradScale = 1f / rows;
                Slice grad = f32Out(rows * cols);
                Slice stats = f32(new float[] {0f, 1f});
                backend.regressionLoss(f32(p), f32(t), rows, cols, huber ? RegressionKind.HUBER
                        : RegressionKind.ABSOLUTE_ERROR, delta, grad, gradScale, stats);
                Reference64.LossResult ref = Reference64.regressionLoss(d(p), d(t), rows, cols, huber, delta);
                double[] g = scaled(ref.grad, gradScale);
                assertClose(what + ": dpred", g, get(grad), 1e-6, 1e-12);
                checkStats(what, stats, ref.loss, lossTolerance(ref.rowLoss), 1 + ref.accuracy, 1e-3);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> backend.regressionLoss(f32(new float[2]), f32(new float[2]),
                1, 2, RegressionKind.HUBER, 0f, null, 1f, f32(new float[2])));
    }

    /**
     * Log-cosh against {@code log(cosh d)} and {@code tanh d} in float64, on errors from 1e-4 to about 40, both sides
     * of the kernels' switch at |d| = 10 and row weights. The device's expm1, log1p and tanh are within a few float
     * ulps: 2e-6 relative on the gradient, and the loss within lossTolerance's 1e-5 per row.
     */
    @Test
    void logCoshLoss() {
        int[][] shapes = {{1, 1}, {3, 7}, {129, 257}, {33_000, 2}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            for (boolean weighted : new boolean[] {false, true}) {
                String what = "log-cosh " + rows + "x" + cols + (weighted ? " row-weighted" : "");
                float[] p = normal(rows * cols, 1);
                float[] t = normal(rows * cols, 1);
                for (int i = 0; i < p.length; i++) {
                    p[i] = t[i] + p[i] * new float[] {1e-4f, 1f, 8f, 15f}[i % 4]; // tiny, usual, both sides of 10
                    if (cols == 1 && Math.abs(Math.abs(p[i] - t[i]) - 0.5) < 1e-3) {
                        p[i] = t[i] + 0.123f; // clear of the 0.5 accuracy edge
                    }
                }
                float[] rw = normal(rows, 1);
                for (int r = 0; r < rows; r++) {
                    rw[r] = 0.5f + Math.abs(rw[r]);
                }
                float gradScale = 1f / rows;
                Slice grad = f32Out(rows * cols);
                Slice stats = f32(new float[] {0f, 1f});
                backend.regressionLoss(f32(p), f32(t), rows, cols, RegressionKind.LOG_COSH, 0f, weighted ? f32(rw)
                        : null, grad, gradScale, stats);
                Reference64.LossResult ref = Reference64.logCosh(d(p), d(t), rows, cols);
                if (weighted) {
                    ref = Reference64.classWeighted(ref, d(rw), cols);
                }
                assertClose(what + ": dpred", scaled(ref.grad, gradScale), get(grad), 2e-6, 1e-12);
                checkStats(what, stats, ref.loss, lossTolerance(ref.rowLoss), 1 + ref.accuracy, 1e-3);
            }
        }
        // Small errors alone, where the loss is d^2 / 2: Keras's |d| + log1p(e^-2|d|) - log 2 would lose its digits
        // to the subtraction (about 1e-7 absolute, 20% of a loss of 5e-7); the kernels' form keeps a few ulps.
        float[] p = normal(64, 1);
        float[] t = p.clone();
        float[] err = normal(64, 1e-3);
        for (int i = 0; i < p.length; i++) {
            p[i] = t[i] + err[i];
        }
        Slice stats = f32(new float[] {0f, 1f});
        backend.regressionLoss(f32(p), f32(t), 64, 1, RegressionKind.LOG_COSH, 0f, null, null, 1f, stats);
        Reference64.LossResult ref = Reference64.logCosh(d(p), d(t), 64, 1);
        assertEquals(ref.loss, get(stats)[Backend.STAT_LOSS], 1e-5 * ref.loss, "log-cosh of errors near 1e-3" + ctx());
    }

    // ================================================================== regularisation

    @Test
    void regularizerGradientAndPenalty() {
        for (int n : new int[] {1, 7, 100_003}) {
            float[] w = normal(n, 1);
            for (int i = 0; i < n; i += 10) {
                w[i] = 0f; // sign(0) = 0: no l1 push on exact zeros
            }
            for (float[] l : new float[][] {{0.01f, 0f}, {0f, 0.02f}, {0.003f, 0.005f}}) {
                String what = "regularizer n=" + n + " l1=" + l[0] + " l2=" + l[1];
                float[] g0 = normal(n, 1);
                Slice grad = f32(g0);
                Slice ws = f32(w);
                backend.regularizerGradient(ws, grad, n, l[0], l[1]);
                double[] term = Reference64.regularizerGradient(d(w), l[0], l[1]);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    expected[i] = g0[i] + term[i];
                }
                assertClose(what + ": grad", expected, get(grad), 4 * EPS, 4 * EPS * 0.1);
                Slice stats = f32(new float[] {1.25f, 2f});
                float scale = 0.5f;
                backend.regularizerPenalty(ws, n, l[0], l[1], scale, stats);
                double penalty = scale * Reference64.regularizerPenalty(d(w), l[0], l[1]);
                float[] st = get(stats);
                assertEquals(1.25 + penalty, st[Backend.STAT_LOSS],
                        4 * EPS * Math.sqrt(n + 1.0) * penalty + 2 * EPS * (1.25 + penalty), what + ": penalty" + ctx());
                assertEquals(2f, st[Backend.STAT_ACCURACY], 0f, what + ": accuracy untouched");
            }
        }
    }

    /**
     * Keras's norm constraints against the float64 reference, on fresh normal weights whose vectors' norms lie on
     * both sides of the bounds (so that clipping both ways and the rate's mix run). The op computes a norm in float
     * (Kahan sums on the GPUs, double on the CPU), then one factor per vector, then one product per element: each
     * element is within a few float roundings of the reference, relative to itself; 8 eps leaves room for the
     * square root's and the division's.
     */
    @Test
    void normConstraintsMatchTheReference() {
        // 784 x 200 is large enough for the CPU to split the columns between its threads.
        int[][] shapes = {{1, 1}, {7, 5}, {300, 3}, {3, 300}, {784, 64}, {784, 200}, {100, 1}};
        float[][] settings = {{0f, 2f, 1f}, {0.5f, 1.5f, 0.7f}, {1f, 1f, 1f}, {0f, 1f, 0f}, {3f, 40f, 1f}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            for (int axis = 0; axis <= 1; axis++) {
                for (float[] c : settings) {
                    String what = "normConstraint " + rows + "x" + cols + " axis=" + axis + " min=" + c[0] + " max="
                            + c[1] + " rate=" + c[2];
                    float[] w = normal(rows * cols, 0.05 + 2 * rnd.nextDouble());
                    if (rows * cols > 4) {
                        w[rnd.nextInt(w.length)] = 0f;
                    }
                    Slice ws = f32(w);
                    backend.normConstraint(ws, rows, cols, axis, c[0], c[1], c[2]);
                    double[] expected = Reference64.normConstraint(d(w), rows, cols, axis, c[0], c[1], c[2]);
                    assertClose(what, expected, get(ws), 8 * EPS, 0);
                }
            }
        }
        // An all-zero vector stays zero (Keras: 0 * desired / 1e-7), under UnitNorm too.
        Slice zeros = f32(new float[6]);
        backend.normConstraint(zeros, 2, 3, 0, 1f, 1f, 1f);
        assertArrayEquals(new float[6], get(zeros), "a zero column under UnitNorm" + ctx());
    }

    @Test
    void nonNegConstraintZeroesTheNegativesAndKeepsTheRest() {
        for (int n : new int[] {1, 7, 100_003}) {
            float[] w = normal(n, 1);
            w[0] = Float.NaN;
            Slice ws = f32(w);
            backend.nonNegConstraint(ws, n);
            float[] got = get(ws);
            assertTrue(Float.isNaN(got[0]), "NaN stays NaN, as Keras's maximum(w, 0) leaves it" + ctx());
            for (int i = 1; i < n; i++) {
                assertEquals(w[i] < 0f ? 0f : w[i], got[i], 0f, "nonNegConstraint n=" + n + " at " + i + ctx());
            }
        }
    }

    // ================================================================== dropout

    @Test
    void dropoutMaskFollowsPhiloxAndBackwardReusesIt() {
        for (int n : new int[] {1, 7, 100_003}) {
            for (float rate : new float[] {0.3f, 0.75f}) {
                String what = "dropout n=" + n + " rate=" + rate;
                long dropSeed = rnd.nextLong();
                int stream = rnd.nextInt(1000);
                int step = rnd.nextInt(1000);
                float[] x = normal(n, 1);
                keepAway(x, 0f, 1e-3f);
                Slice counters = i32(new int[] {step, 5});
                Slice y = f32Out(n);
                backend.dropoutForward(f32(x), y, n, rate, dropSeed, stream, counters);
                boolean[] keep = Reference64.dropoutMask(n, rate, dropSeed, stream, step);
                // x / (1 - rate) in float, or x times its reciprocal: within 2 roundings. Dropped: exactly 0.
                assertClose(what + ": forward", Reference64.dropout(d(x), keep, rate), get(y), 3 * EPS, 0);
                if (n > 100_000) {
                    int kept = 0;
                    for (boolean k : keep) {
                        kept += k ? 1 : 0;
                    }
                    // Binomial: the kept fraction's standard deviation is sqrt(rate (1 - rate) / n); allow 5.
                    double sd = Math.sqrt(rate * (1.0 - rate) / n);
                    assertEquals(1 - rate, (double) kept / n, 5 * sd, what + ": kept fraction" + ctx());
                }
                float[] dy = normal(n, 1);
                keepAway(dy, 0f, 1e-3f);
                Slice dx = f32Out(n);
                backend.dropoutBackward(f32(dy), dx, n, rate, dropSeed, stream, counters);
                assertClose(what + ": backward", Reference64.dropout(d(dy), keep, rate), get(dx), 3 * EPS, 0);
                // In place, forward and backward.
                Slice xy = f32(x);
                backend.dropoutForward(xy, xy, n, rate, dropSeed, stream, counters);
                assertClose(what + ": forward in place", Reference64.dropout(d(x), keep, rate), get(xy), 3 * EPS, 0);
                Slice dd = f32(dy);
                backend.dropoutBackward(dd, dd, n, rate, dropSeed, stream, counters);
                assertClose(what + ": backward in place", Reference64.dropout(d(dy), keep, rate), get(dd), 3 * EPS, 0);
                // The next step (counters advanced on the device) draws the next step's mask.
                backend.advanceCounters(counters);
                Slice y2 = f32Out(n);
                backend.dropoutForward(f32(x), y2, n, rate, dropSeed, stream, counters);
                boolean[] keep2 = Reference64.dropoutMask(n, rate, dropSeed, stream, step + 1);
                assertClose(what + ": next step", Reference64.dropout(d(x), keep2, rate), get(y2), 3 * EPS, 0);
                if (n > 1000) {
                    assertFalse(Arrays.equals(keep, keep2), what + ": the mask changes with the step" + ctx());
                }
            }
        }
    }

    @Test
    void dropoutRateZeroCopiesAndInvalidRatesAreRejected() {
        float[] x = normal(1000, 1);
        Slice counters = i32(new int[] {3, 0});
        Slice y = f32Out(1000);
        backend.dropoutForward(f32(x), y, 1000, 0f, 1L, 2, counters);
        assertClose("rate 0 copies", d(x), get(y), 0, 0);
        for (float bad : new float[] {1f, 1.5f, -0.1f, Float.NaN}) {
            assertThrows(IllegalArgumentException.class,
                    () -> backend.dropoutForward(f32(x), y, 1000, bad, 1L, 2, counters), "rate " + bad);
            assertThrows(IllegalArgumentException.class,
                    () -> backend.dropoutBackward(f32(x), y, 1000, bad, 1L, 2, counters), "rate " + bad);
        }
    }

    // ================================================================== batch normalisation

    /**
     * batchNormDropoutForward and batchNormDropoutBackward are the batch norm's op and the dropout's, bit for bit (a
     * backend may drop the values inside the batch norm's kernels): every output, the running statistics and the
     * saved ones, with and without gamma and beta, with and without dx, at rate 0.3 and 0, at two steps. The ops on
     * their own are checked against float64 elsewhere.
     */
    @Test
    void batchNormDropoutIsTheBatchNormThenTheDropout() {
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            for (int variant = 0; variant < 4; variant++) {
                boolean gammaOn = (variant & 1) != 0;
                boolean betaOn = (variant & 2) != 0;
                float rate = variant == 3 ? 0f : 0.3f;
                int step = 5 + variant;
                long seed = rnd.nextLong();
                String what = "batchNormDropout " + rows + "x" + cols + (gammaOn ? " gamma" : "")
                        + (betaOn ? " beta" : "") + " rate=" + rate;
                Slice x = f32(normal(rows * cols, 1.5));
                Slice gamma = gammaOn ? f32(uniform(cols, 0.5, 1.5)) : null;
                Slice beta = betaOn ? f32(normal(cols, 1)) : null;
                float[] rm0 = normal(cols, 1);
                float[] rv0 = uniform(cols, 0.5, 2);
                Slice counters = i32(new int[] {step, 1});
                Slice[] rm = {f32(rm0), f32(rm0)};
                Slice[] rv = {f32(rv0), f32(rv0)};
                Slice[] y = {f32Out(rows * cols), f32Out(rows * cols)};
                Slice[] mean = {f32Out(cols), f32Out(cols)};
                Slice[] inv = {f32Out(cols), f32Out(cols)};
                backend.batchNormForwardTraining(x, rows, cols, gamma, beta, 1e-3f, 0.9f, rm[0], rv[0], y[0], mean[0],
                        inv[0]);
                backend.dropoutForward(y[0], y[0], rows * cols, rate, seed, 7, counters);
                backend.batchNormDropoutForward(x, rows, cols, gamma, beta, 1e-3f, 0.9f, rm[1], rv[1], y[1], mean[1],
                        inv[1], rate, seed, 7, counters);
                assertArrayEquals(get(y[0]), get(y[1]), what + ": y" + ctx());
                assertArrayEquals(get(mean[0]), get(mean[1]), what + ": saveMean" + ctx());
                assertArrayEquals(get(inv[0]), get(inv[1]), what + ": saveInvStd" + ctx());
                assertArrayEquals(get(rm[0]), get(rm[1]), what + ": runningMean" + ctx());
                assertArrayEquals(get(rv[0]), get(rv[1]), what + ": runningVar" + ctx());

                float[] dy = normal(rows * cols, 1);
                for (boolean withDx : new boolean[] {true, false}) {
                    String w = what + (withDx ? "" : " without dx");
                    Slice[] dyS = {f32(dy), f32(dy)};
                    Slice[] dx = {withDx ? f32Out(rows * cols) : null, withDx ? f32Out(rows * cols) : null};
                    Slice[] dg = {gammaOn ? f32Out(cols) : null, gammaOn ? f32Out(cols) : null};
                    Slice[] db = {betaOn ? f32Out(cols) : null, betaOn ? f32Out(cols) : null};
                    backend.dropoutBackward(dyS[0], dyS[0], rows * cols, rate, seed, 7, counters);
                    backend.batchNormBackward(x, dyS[0], rows, cols, gamma, mean[0], inv[0], dx[0], dg[0], db[0]);
                    backend.batchNormDropoutBackward(x, dyS[1], rows, cols, gamma, mean[1], inv[1], dx[1], dg[1],
                            db[1], rate, seed, 7, counters);
                    if (withDx) {
                        assertArrayEquals(get(dx[0]), get(dx[1]), w + ": dx" + ctx());
                    }
                    if (gammaOn) {
                        assertArrayEquals(get(dg[0]), get(dg[1]), w + ": dgamma" + ctx());
                    }
                    if (betaOn) {
                        assertArrayEquals(get(db[0]), get(db[1]), w + ": dbeta" + ctx());
                    }
                }
            }
        }
    }

    /**
     * denseSoftmaxCrossEntropy is denseForward with a softmax and then softmaxCrossEntropy of its pre-activation, bit
     * for bit (a backend may run the softmax and the loss in one kernel): sparse labels and target distributions,
     * with and without bias and gradient, a row, a batch and a wide one, the stats added to what was there.
     */
    @Test
    void denseSoftmaxCrossEntropyIsTheLayerThenTheLoss() {
        int k = 23;
        for (int[] shape : new int[][] {{1, 3}, {37, 10}, {130, 40}}) {
            int rows = shape[0];
            int n = shape[1];
            for (int v = 0; v < 8; v++) {
                boolean sparse = (v & 1) == 0;
                boolean withBias = (v & 2) == 0;
                boolean withGrad = (v & 4) == 0;
                String what = "denseSoftmaxCrossEntropy " + rows + "x" + n + (sparse ? " sparse" : " dense")
                        + (withBias ? " bias" : "") + (withGrad ? " grad" : "");
                Slice x = f32(normal(rows * k, 1));
                Slice w = f32(normal(k * n, 0.7));
                Slice bias = withBias ? f32(normal(n, 0.5)) : null;
                Slice labels;
                if (sparse) {
                    int[] l = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        l[r] = rnd.nextInt(n);
                    }
                    labels = i32(l);
                } else {
                    float[] t = uniform(rows * n, 0, 1);
                    labels = f32(t);
                }
                Slice[] z = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] y = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] p = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] g = {withGrad ? f32Out(rows * n) : null, withGrad ? f32Out(rows * n) : null};
                Slice[] stats = {f32(new float[] {1.5f, 2f}), f32(new float[] {1.5f, 2f})};
                backend.denseForward(x, w, bias, rows, k, n, ActivationFunction.SOFTMAX, 0f, z[0], y[0]);
                backend.softmaxCrossEntropy(z[0], labels, sparse, rows, n, p[0], g[0], 0.25f, stats[0]);
                backend.denseSoftmaxCrossEntropy(x, w, bias, rows, k, n, z[1], y[1], labels, sparse, p[1], g[1], 0.25f,
                        stats[1]);
                assertArrayEquals(get(z[0]), get(z[1]), what + ": z" + ctx());
                assertArrayEquals(get(y[0]), get(y[1]), what + ": y" + ctx());
                assertArrayEquals(get(p[0]), get(p[1]), what + ": probs" + ctx());
                if (withGrad) {
                    assertArrayEquals(get(g[0]), get(g[1]), what + ": dlogits" + ctx());
                }
                assertArrayEquals(get(stats[0]), get(stats[1]), what + ": stats" + ctx());
            }
        }
    }

    /**
     * denseSoftmaxCrossEntropy with a bias gradient is the op without it, then columnSums of the gradient: every bit,
     * wherever the backend computes it (Backend.biasGradientWithLoss: OpenCL in the loss kernel up to its bound); the
     * bias gradient also against a float64 reference (Kahan sums in chunks: within 4 float eps of the sum of
     * magnitudes). Sparse labels and targets, one row to rows past two OpenCL groups, and a shape past OpenCL's bound
     * (1,100 x 20); a bias gradient over the probabilities' first row. A bias gradient without a gradient to sum is
     * refused.
     */
    @Test
    void denseSoftmaxCrossEntropyWithABiasGradientIsTheOpThenColumnSums() {
        int k = 13;
        for (int[] shape : new int[][] {{1, 3}, {37, 10}, {600, 10}, {1100, 20}}) {
            int rows = shape[0];
            int n = shape[1];
            for (boolean sparse : new boolean[] {true, false}) {
                String what = "denseSoftmaxCrossEntropy with dbias " + rows + "x" + n + (sparse ? " sparse" : " dense")
                        + (backend.biasGradientWithLoss(rows, n) ? " (in the loss op)" : "");
                Slice x = f32(normal(rows * k, 1));
                Slice w = f32(normal(k * n, 0.7));
                Slice bias = f32(normal(n, 0.5));
                int[] l = new int[rows];
                for (int r = 0; r < rows; r++) {
                    l[r] = rnd.nextInt(n);
                }
                Slice labels = sparse ? i32(l) : f32(uniform(rows * n, 0, 1));
                Slice[] z = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] y = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] p = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] g = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] stats = {f32(new float[] {0.5f, 1f}), f32(new float[] {0.5f, 1f})};
                Slice[] dbias = {f32Out(n), f32Out(n)};
                backend.denseSoftmaxCrossEntropy(x, w, bias, rows, k, n, z[0], y[0], labels, sparse, p[0], g[0],
                        0.5f, stats[0]);
                backend.columnSums(g[0], rows, n, dbias[0]);
                backend.denseSoftmaxCrossEntropy(x, w, bias, rows, k, n, z[1], y[1], labels, sparse, p[1], g[1],
                        0.5f, stats[1], dbias[1]);
                Slice[][] outs = {z, y, p, g, stats, dbias};
                for (int i = 0; i < outs.length; i++) {
                    assertArrayEquals(get(outs[i][0]), get(outs[i][1]), what + ": output " + i + ctx());
                }
                float[] grad = get(g[1]);
                float[] got = get(dbias[1]);
                for (int c = 0; c < n; c++) {
                    double sum = 0;
                    double magnitude = 0;
                    for (int r = 0; r < rows; r++) {
                        sum += grad[r * n + c];
                        magnitude += Math.abs(grad[r * n + c]);
                    }
                    assertEquals(sum, got[c], 4 * Math.ulp(1f) * magnitude + 1e-30, what + ": dbias[" + c + "]" + ctx());
                }
            }
        }
        // A bias gradient over the probabilities' first row (a caller's slices may share memory): as the ops apart,
        // the loss first, then the column sums over that row.
        int rows = 37;
        int n = 10;
        Slice x = f32(normal(rows * k, 1));
        Slice w = f32(normal(k * n, 0.7));
        int[] l = new int[rows];
        for (int r = 0; r < rows; r++) {
            l[r] = rnd.nextInt(n);
        }
        Slice labels = i32(l);
        Slice[] p = {f32Out(rows * n), f32Out(rows * n)};
        Slice[] g = {f32Out(rows * n), f32Out(rows * n)};
        backend.denseSoftmaxCrossEntropy(x, w, null, rows, k, n, f32Out(rows * n), f32Out(rows * n), labels, true, p[0],
                g[0], 0.5f, f32Out(2));
        backend.columnSums(g[0], rows, n, p[0].slice(0, n));
        backend.denseSoftmaxCrossEntropy(x, w, null, rows, k, n, f32Out(rows * n), f32Out(rows * n), labels, true, p[1],
                g[1], 0.5f, f32Out(2), p[1].slice(0, n));
        assertArrayEquals(get(p[0]), get(p[1]), "a bias gradient over the probabilities" + ctx());
        assertArrayEquals(get(g[0]), get(g[1]), "dlogits beside a bias gradient over the probabilities" + ctx());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                backend.denseSoftmaxCrossEntropy(x, w, null, 2, k, 3, f32Out(6), f32Out(6), i32(new int[] {0, 1}),
                        true, f32Out(6), null, 0.5f, f32Out(2), f32Out(3)));
        assertTrue(e.getMessage().contains("dlogits"), e.getMessage());
    }

    /**
     * denseBatchNormForward is denseForward then the batch norm's training forward pass (with its Dropout,
     * batchNormDropoutForward), bit for bit: every output and the running statistics, for relu, selu, tanh and
     * linear, with and without bias, gamma, beta and the dropout, at k = 19 and 300.
     */
    @Test
    void denseBatchNormForwardIsTheDenseThenTheBatchNorm() {
        ActivationFunction[] fs = {ActivationFunction.RELU, ActivationFunction.SELU, ActivationFunction.TANH,
            ActivationFunction.LINEAR};
        int rows = 37;
        int n = 70;
        int v = 0;
        for (int k : new int[] {19, 300}) {
            for (int variant = 0; variant < 16; variant++) {
                v++;
                ActivationFunction f = fs[variant & 3];
                boolean withBias = (variant & 4) != 0;
                boolean dropout = (variant & 8) != 0;
                boolean gammaOn = v % 3 != 0;
                boolean betaOn = v % 2 == 0;
                float rate = dropout ? 0.3f : 0f;
                long seed = rnd.nextLong();
                String what = "denseBatchNormForward k=" + k + " " + f + (withBias ? " bias" : "")
                        + (dropout ? " dropout" : "") + (gammaOn ? " gamma" : "") + (betaOn ? " beta" : "");
                Slice counters = dropout ? i32(new int[] {3 + v, 1}) : null;
                Slice x = f32(normal(rows * k, 1));
                Slice w = f32(normal(k * n, 0.3));
                Slice bias = withBias ? f32(normal(n, 0.3)) : null;
                Slice gamma = gammaOn ? f32(uniform(n, 0.5, 1.5)) : null;
                Slice beta = betaOn ? f32(normal(n, 1)) : null;
                float[] rm0 = normal(n, 1);
                float[] rv0 = uniform(n, 0.5, 2);
                Slice[] rm = {f32(rm0), f32(rm0)};
                Slice[] rv = {f32(rv0), f32(rv0)};
                Slice[] z = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] y = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] out = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] mean = {f32Out(n), f32Out(n)};
                Slice[] inv = {f32Out(n), f32Out(n)};
                backend.denseForward(x, w, bias, rows, k, n, f, f.defaultAlpha(), z[0], y[0]);
                if (dropout) {
                    backend.batchNormDropoutForward(y[0], rows, n, gamma, beta, 1e-3f, 0.9f, rm[0], rv[0], out[0],
                            mean[0], inv[0], rate, seed, 5, counters);
                } else {
                    backend.batchNormForwardTraining(y[0], rows, n, gamma, beta, 1e-3f, 0.9f, rm[0], rv[0], out[0],
                            mean[0], inv[0]);
                }
                backend.denseBatchNormForward(x, w, bias, rows, k, n, f, f.defaultAlpha(), z[1], y[1], gamma, beta,
                        1e-3f, 0.9f, rm[1], rv[1], out[1], mean[1], inv[1], rate, seed, 5, counters);
                assertArrayEquals(get(z[0]), get(z[1]), what + ": z" + ctx());
                assertArrayEquals(get(y[0]), get(y[1]), what + ": y" + ctx());
                assertArrayEquals(get(out[0]), get(out[1]), what + ": out" + ctx());
                assertArrayEquals(get(mean[0]), get(mean[1]), what + ": saveMean" + ctx());
                assertArrayEquals(get(inv[0]), get(inv[1]), what + ": saveInvStd" + ctx());
                assertArrayEquals(get(rm[0]), get(rm[1]), what + ": runningMean" + ctx());
                assertArrayEquals(get(rv[0]), get(rv[1]), what + ": runningVar" + ctx());
            }
        }
    }

    /**
     * batchNormBackwardBetween is, bit for bit, the input-gradient product of the layer above into dy (when given),
     * the batch norm's backward pass (with its Dropout, batchNormDropoutBackward), then the backward pass of the
     * activation below (when given) on dx: no product, thin products (k = 10, 32, inside the batch norm's kernels on
     * the GPU backends) and a deeper one (k = 100); with and without gamma, beta, dx, the dropout, the activation
     * below (relu, selu, linear) and its bias.
     */
    @Test
    void batchNormBackwardBetweenIsTheProductTheBatchNormAndTheActivation() {
        int rows = 41;
        int cols = 67;
        ActivationFunction[] below = {null, ActivationFunction.RELU, ActivationFunction.SELU, ActivationFunction.LINEAR};
        int v = 0;
        for (int k : new int[] {0, 10, 32, 100}) {
            for (int variant = 0; variant < 16; variant++) {
                v++;
                boolean gammaOn = (variant & 1) != 0;
                boolean betaOn = (variant & 2) != 0;
                boolean dropout = (variant & 4) != 0;
                ActivationFunction f = below[(variant >> 2) & 3];
                boolean withDx = f != null || variant != 6;
                boolean withBias = (variant & 8) != 0;
                if (k == 0 && f == null) {
                    continue; // nothing between: batchNormBackward itself
                }
                float rate = dropout ? 0.3f : 0f;
                long seed = rnd.nextLong();
                String what = "batchNormBackwardBetween k=" + k + (gammaOn ? " gamma" : "") + (betaOn ? " beta" : "")
                        + (dropout ? " dropout" : "") + (withDx ? "" : " without dx") + (f == null ? "" : " " + f)
                        + (withBias ? " bias below" : "");
                Slice counters = dropout ? i32(new int[] {9 + v, 1}) : null;
                Slice dzNext = k == 0 ? null : f32(normal(rows * k, 1));
                Slice wNext = k == 0 ? null : f32(normal(cols * k, 0.5));
                Slice x = f32(normal(rows * cols, 1.5));
                Slice z = f == null ? null : f32(normal(rows * cols, 1));
                Slice gamma = gammaOn ? f32(uniform(cols, 0.5, 1.5)) : null;
                Slice mean = f32(normal(cols, 0.2));
                Slice inv = f32(uniform(cols, 0.5, 2));
                float[] dy0 = normal(rows * cols, 1);
                Slice[] dy = {f32(dy0), f32(dy0)};
                Slice[] dx = {withDx ? f32Out(rows * cols) : null, withDx ? f32Out(rows * cols) : null};
                Slice[] dg = {gammaOn ? f32Out(cols) : null, gammaOn ? f32Out(cols) : null};
                Slice[] db = {betaOn ? f32Out(cols) : null, betaOn ? f32Out(cols) : null};
                Slice[] dbBelow = {withBias && f != null ? f32Out(cols) : null, withBias && f != null ? f32Out(cols) : null};
                if (k > 0) {
                    backend.gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dy[0]);
                }
                if (dropout) {
                    backend.batchNormDropoutBackward(x, dy[0], rows, cols, gamma, mean, inv, dx[0], dg[0], db[0], rate,
                            seed, 8, counters);
                } else {
                    backend.batchNormBackward(x, dy[0], rows, cols, gamma, mean, inv, dx[0], dg[0], db[0]);
                }
                if (f != null) {
                    backend.activationBackward(z, x, dx[0], rows, cols, f, f.defaultAlpha(), dx[0], dbBelow[0]);
                }
                backend.batchNormBackwardBetween(dzNext, wNext, k, x, dy[1], rows, cols, gamma, mean, inv, dx[1], dg[1],
                        db[1], rate, seed, 8, counters, z, f, f == null ? 0f : f.defaultAlpha(), dbBelow[1]);
                if (withDx) {
                    assertArrayEquals(get(dx[0]), get(dx[1]), what + ": dx" + ctx());
                }
                if (gammaOn) {
                    assertArrayEquals(get(dg[0]), get(dg[1]), what + ": dgamma" + ctx());
                }
                if (betaOn) {
                    assertArrayEquals(get(db[0]), get(db[1]), what + ": dbeta" + ctx());
                }
                if (dbBelow[0] != null) {
                    assertArrayEquals(get(dbBelow[0]), get(dbBelow[1]), what + ": the bias gradient below" + ctx());
                }
            }
        }
    }

    /**
     * inputGradientActivationBackward is the input-gradient product of the layer above, then the activation's
     * backward pass (with a Dropout between the layers, its backward pass first), bit for bit: the element-wise
     * family with and without bias, thin products (k = 1, 10, 32, computed inside the activation's kernel on the GPU
     * backends) and deeper ones (k = 33, 100, 512), at rate 0.3 and without a dropout.
     */
    @Test
    void inputGradientActivationBackwardIsTheProductThenTheActivationBackward() {
        ActivationFunction[] fs = {ActivationFunction.RELU, ActivationFunction.SIGMOID, ActivationFunction.TANH,
            ActivationFunction.ELU, ActivationFunction.LEAKY_RELU, ActivationFunction.LINEAR, ActivationFunction.SELU};
        int rows = 45;
        int cols = 70;
        int v = 0;
        for (int k : new int[] {1, 10, 32, 33, 100, 512}) {
            for (ActivationFunction f : fs) {
                v++;
                boolean withBias = v % 3 != 0;
                boolean dropout = v % 2 == 0;
                float rate = dropout ? 0.3f : 0f;
                float alpha = f.defaultAlpha();
                long seed = rnd.nextLong();
                String what = "inputGradientActivationBackward k=" + k + " " + f + (withBias ? " bias" : "")
                        + (dropout ? " dropout" : "");
                Slice counters = dropout ? i32(new int[] {5 + v, 0}) : null;
                LayerUnder l = layerUnderAnother(rows, cols, k, f, alpha);
                Slice[] dz = {f32Out(rows * cols), f32Out(rows * cols)};
                Slice[] db = {withBias ? f32Out(cols) : null, withBias ? f32Out(cols) : null};
                backend.gemm(false, true, rows, cols, k, 1f, l.dzNext(), l.wNext(), 0f, dz[0]);
                if (dropout) {
                    backend.dropoutBackward(dz[0], dz[0], rows * cols, rate, seed, 6, counters);
                }
                backend.activationBackward(l.z(), l.y(), dz[0], rows, cols, f, alpha, dz[0], db[0]);
                backend.inputGradientActivationBackward(l.dzNext(), l.wNext(), k, l.z(), l.y(), rows, cols, f, alpha,
                        dz[1], db[1], rate, seed, 6, counters);
                assertArrayEquals(get(dz[0]), get(dz[1]), what + ": dz" + ctx());
                if (withBias) {
                    assertArrayEquals(get(db[0]), get(db[1]), what + ": dbias" + ctx());
                }
            }
        }
    }

    /**
     * Fresh inputs of a layer of {@code cols} units under one of {@code k}: the upper layer's gradient dzNext
     * ({@code rows x k}) and weights wNext ({@code cols x k}), this layer's pre-activation z and output y = f(z).
     */
    private LayerUnder layerUnderAnother(int rows, int cols, int k, ActivationFunction f, float alpha) {
        Slice z = f32(normal(rows * cols, 1));
        Slice y = f32Out(rows * cols);
        backend.biasActivationForward(z, null, rows, cols, f, alpha, y);
        return new LayerUnder(f32(normal(rows * k, 1)), f32(normal(cols * k, 0.5)), z, y);
    }

    /** {@link #layerUnderAnother}'s slices. */
    private record LayerUnder(Slice dzNext, Slice wNext, Slice z, Slice y) {
    }

    /**
     * inputGradientActivationBackward with the upper layer's weight gradient (dwNext = y^T dzNext) is the product
     * {@code gemm(true, false, cols, k, rows, 1, y, dzNext, 0, dwNext)} and then the op, bit for bit, wherever the
     * backend computes it (Backend.weightGradientWithInputGradient: OpenCL beside a thin product, inside
     * activation_backward), for thin and wide products, rows over one and several 16-row chunks, k over and under
     * the chunk count; refused with a Dropout between the layers (the upper layer then reads the dropped output), and
     * where dwNext overlaps y.
     */
    @Test
    void theUpperWeightGradientBesideTheInputGradientIsItsProductThenTheOp() {
        ActivationFunction[] fs = {ActivationFunction.RELU, ActivationFunction.SIGMOID, ActivationFunction.ELU,
            ActivationFunction.LINEAR};
        int cols = 70;
        int v = 0;
        for (int rows : new int[] {5, 45, 128}) {
            for (int k : new int[] {1, 10, 32, 33, 100}) {
                ActivationFunction f = fs[v % fs.length];
                v++;
                boolean withBias = v % 3 != 0;
                float alpha = f.defaultAlpha();
                String what = "inputGradientActivationBackward with dwNext, rows=" + rows + " k=" + k + " " + f
                        + (withBias ? " bias" : "") + (backend.weightGradientWithInputGradient(rows, cols, k)
                        ? " (in the op)" : "");
                LayerUnder l = layerUnderAnother(rows, cols, k, f, alpha);
                Slice[] dz = {f32Out(rows * cols), f32Out(rows * cols)};
                Slice[] db = {withBias ? f32Out(cols) : null, withBias ? f32Out(cols) : null};
                Slice[] dw = {f32Out(cols * k), f32Out(cols * k)};
                backend.fill(dw[1], Float.NaN); // every element written
                backend.gemm(true, false, cols, k, rows, 1f, l.y(), l.dzNext(), 0f, dw[0]);
                backend.inputGradientActivationBackward(l.dzNext(), l.wNext(), k, l.z(), l.y(), rows, cols, f, alpha,
                        dz[0], db[0], 0f, 0L, 0, null);
                backend.inputGradientActivationBackward(l.dzNext(), l.wNext(), dw[1], k, l.z(), l.y(), rows, cols, f,
                        alpha, dz[1], db[1], 0f, 0L, 0, null);
                assertArrayEquals(get(dw[0]), get(dw[1]), what + ": dwNext" + ctx());
                assertArrayEquals(get(dz[0]), get(dz[1]), what + ": dz" + ctx());
                if (withBias) {
                    assertArrayEquals(get(db[0]), get(db[1]), what + ": dbias" + ctx());
                }
            }
        }
        int rows = 4;
        int k = 3;
        Slice dzNext = f32(normal(rows * k, 1));
        Slice wNext = f32(normal(cols * k, 0.5));
        Slice z = f32(normal(rows * cols, 1));
        Buffer shared = backend.allocate(DType.F32, rows * cols + cols * k);
        try {
            Slice y = shared.slice(0, rows * cols);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.inputGradientActivationBackward(dzNext, wNext, f32Out(cols * k), k, z, y, rows,
                            cols, ActivationFunction.RELU, 0f, f32Out(rows * cols), null, 0.25f, 1L, 0,
                            i32(new int[] {1, 0})));
            assertTrue(e.getMessage().contains("Dropout") && e.getMessage().contains("0.25"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> backend.inputGradientActivationBackward(dzNext, wNext, shared.slice(rows * cols - 1,
                            cols * k), k, z, y, rows, cols, ActivationFunction.RELU, 0f, f32Out(rows * cols), null,
                            0f, 0L, 0, null));
            assertTrue(e.getMessage().contains("dwNext") && e.getMessage().contains("y"), e.getMessage());
        } finally {
            shared.close();
        }
    }

    /**
     * An output of the ops that compute the layer above's input gradient inside must not overlap that product's
     * operands (a GPU kernel may still read them in one block while another writes): the error names both.
     */
    @Test
    void anOutputOverTheInputGradientsOperandsIsRefused() {
        int rows = 2;
        int cols = 3;
        int k = 2;
        Buffer shared = backend.allocate(DType.F32, 16);
        try {
            Slice dzNext = shared.slice(0, rows * k);
            Slice wNext = shared.slice(4, cols * k);
            Slice overDz = shared.slice(2, cols);
            Slice z = f32(normal(rows * cols, 1));
            Slice y = f32Out(rows * cols);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.inputGradientActivationBackward(dzNext, wNext, k, z, y, rows, cols,
                            ActivationFunction.RELU, 0f, f32Out(rows * cols), overDz, 0f, 0L, 0, null));
            assertTrue(e.getMessage().contains("dbias") && e.getMessage().contains("dzNext"), e.getMessage());
            Slice overW = shared.slice(8, cols);
            e = assertThrows(IllegalArgumentException.class,
                    () -> backend.batchNormBackwardBetween(dzNext, wNext, k, z, f32Out(rows * cols), rows, cols, null,
                            f32Out(cols), f32Out(cols), f32Out(rows * cols), null, overW, 0f, 0L, 0, null, null, null,
                            0f, null));
            assertTrue(e.getMessage().contains("dbeta") && e.getMessage().contains("wNext"), e.getMessage());
        } finally {
            shared.close();
        }
    }

    /**
     * denseDropoutForward is denseForward and then the dropout, activationDropoutForward biasActivationForward (no
     * bias) and then the dropout, and activationDropoutBackward the dropout's backward pass and then
     * activationBackward, bit for bit (a backend may drop values inside its activation kernels): every
     * element-wise activation family, with and without bias and bias gradient, at rate 0.4 and 0, at two widths.
     */
    @Test
    void denseDropoutIsTheDenseThenTheDropout() {
        ActivationFunction[] fs = {ActivationFunction.RELU, ActivationFunction.SIGMOID, ActivationFunction.TANH,
            ActivationFunction.ELU, ActivationFunction.LEAKY_RELU, ActivationFunction.LINEAR, ActivationFunction.SELU};
        int rows = 37;
        int k = 19;
        for (int n : new int[] {5, 130}) {
            for (int v = 0; v < fs.length * 2; v++) {
                ActivationFunction f = fs[v % fs.length];
                boolean withBias = v < fs.length;
                float rate = v % 3 == 2 ? 0f : 0.4f;
                float alpha = f.defaultAlpha();
                long seed = rnd.nextLong();
                String what = "denseDropout n=" + n + " " + f + (withBias ? " bias" : "") + " rate=" + rate;
                Slice counters = i32(new int[] {3 + v, 0});
                Slice x = f32(normal(rows * k, 1));
                Slice w = f32(normal(k * n, 0.5));
                Slice bias = withBias ? f32(normal(n, 0.3)) : null;
                Slice[] z = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] y = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] yd = {f32Out(rows * n), f32Out(rows * n)};
                backend.denseForward(x, w, bias, rows, k, n, f, alpha, z[0], y[0]);
                backend.dropoutForward(y[0], yd[0], rows * n, rate, seed, 4, counters);
                backend.denseDropoutForward(x, w, bias, rows, k, n, f, alpha, z[1], y[1], yd[1], rate, seed, 4,
                        counters);
                assertArrayEquals(get(z[0]), get(z[1]), what + ": z" + ctx());
                assertArrayEquals(get(y[0]), get(y[1]), what + ": y" + ctx());
                assertArrayEquals(get(yd[0]), get(yd[1]), what + ": dropped y" + ctx());

                float[] dy = normal(rows * n, 1);
                Slice[] dz = {f32(dy), f32(dy)};
                Slice[] db = {withBias ? f32Out(n) : null, withBias ? f32Out(n) : null};
                backend.dropoutBackward(dz[0], dz[0], rows * n, rate, seed, 4, counters);
                backend.activationBackward(z[0], y[0], dz[0], rows, n, f, alpha, dz[0], db[0]);
                backend.activationDropoutBackward(z[1], y[1], dz[1], rows, n, f, alpha, dz[1], db[1], rate, seed, 4,
                        counters);
                assertArrayEquals(get(dz[0]), get(dz[1]), what + ": dz" + ctx());
                if (withBias) {
                    assertArrayEquals(get(db[0]), get(db[1]), what + ": dbias" + ctx());
                }

                // An activation layer and its dropout: the same with the layer's input for z and no bias.
                Slice a = f32(normal(rows * n, 1));
                Slice[] ay = {f32Out(rows * n), f32Out(rows * n)};
                Slice[] ayd = {f32Out(rows * n), f32Out(rows * n)};
                backend.biasActivationForward(a, null, rows, n, f, alpha, ay[0]);
                backend.dropoutForward(ay[0], ayd[0], rows * n, rate, seed, 4, counters);
                backend.activationDropoutForward(a, rows, n, f, alpha, ay[1], ayd[1], rate, seed, 4, counters);
                assertArrayEquals(get(ay[0]), get(ay[1]), what + ": activation layer's y" + ctx());
                assertArrayEquals(get(ayd[0]), get(ayd[1]), what + ": activation layer's dropped y" + ctx());
            }
        }
    }

    @Test
    void batchNormTrainingInferenceAndBackward() {
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            for (int variant = 0; variant < 2; variant++) {
                boolean affine = variant == 1;
                float eps = affine ? 1e-3f : 1e-5f;
                float momentum = affine ? 0.5f : 0.99f; // 0.5 makes biased vs unbiased variance visible
                String what = "batchnorm " + rows + "x" + cols + (affine ? " gamma/beta" : " plain")
                        + " eps=" + eps + " momentum=" + momentum;
                float[] x = normal(rows * cols, 1.5);
                float[] offset = normal(cols, 2);
                for (int i = 0; i < x.length; i++) {
                    x[i] += offset[i % cols];
                }
                float[] gamma = affine ? normal(cols, 0.3) : null;
                float[] beta = affine ? normal(cols, 1) : null;
                if (affine) {
                    for (int c = 0; c < cols; c++) {
                        gamma[c] += 1f;
                    }
                }
                float[] rm0 = normal(cols, 1);
                float[] rv0 = uniform(cols, 0.5, 2);
                Slice xs = f32(x);
                Slice gs = affine ? f32(gamma) : null;
                Slice bs = affine ? f32(beta) : null;
                Slice rm = f32(rm0);
                Slice rv = f32(rv0);
                Slice y = f32Out(rows * cols);
                Slice mean = f32Out(cols);
                Slice inv = f32Out(cols);
                backend.batchNormForwardTraining(xs, rows, cols, gs, bs, eps, momentum, rm, rv, y, mean, inv);
                Reference64.BatchNorm ref = Reference64.batchNormTraining(d(x), rows, cols,
                        affine ? d(gamma) : null, affine ? d(beta) : null, eps, momentum, d(rm0), d(rv0));
                double[] meanTol = sumTolerance(columnAbsSums(d(x), rows, cols), rows, 0);
                for (int c = 0; c < cols; c++) {
                    meanTol[c] = meanTol[c] / rows + 1e-6 * Math.abs(ref.mean[c]);
                }
                assertWithin(what + ": saveMean", ref.mean, get(mean), meanTol);
                // 1/std: a float variance of (x - mean)^2 terms, good to ~sqrt(rows) EPS; 1e-4 leaves margin.
                assertClose(what + ": saveInvStd", ref.invStd, get(inv), 1e-4, 0);
                assertClose(what + ": y", ref.y, get(y), 1e-4, 1e-5 * maxAbs(ref.y));
                assertClose(what + ": runningMean", ref.runningMean, get(rm), 1e-5, 1e-6 * maxAbs(ref.runningMean));
                assertClose(what + ": runningVar", ref.runningVar, get(rv), 1e-4, 0);

                // Inference with the updated running statistics.
                Slice yi = f32Out(rows * cols);
                backend.batchNormForwardInference(xs, rows, cols, gs, bs, eps, rm, rv, yi);
                double[] yiRef = Reference64.batchNormInference(d(x), rows, cols, affine ? d(gamma) : null,
                        affine ? d(beta) : null, eps, d(get(rm)), d(get(rv)));
                assertClose(what + ": inference y", yiRef, get(yi), 1e-5, 1e-6 * maxAbs(yiRef));

                // Backward from the saved statistics, with and without dgamma / dbeta.
                float[] savedMean = get(mean);
                float[] savedInv = get(inv);
                float[] dy = normal(rows * cols, 1);
                Reference64.BatchNormGrads g = Reference64.batchNormBackward(d(x), d(dy), rows, cols,
                        affine ? d(gamma) : null, d(savedMean), d(savedInv));
                double scale = 0;
                for (int c = 0; c < cols; c++) {
                    scale = Math.max(scale, (affine ? Math.abs(gamma[c]) : 1) * savedInv[c]);
                }
                double dxAtol = 1e-5 * maxAbs(dy) * scale;
                double[] dgTol = new double[cols];
                double[] dbTol = sumTolerance(columnAbsSums(d(dy), rows, cols), rows, 0);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        double xhat = (x[r * cols + c] - (double) savedMean[c]) * savedInv[c];
                        dgTol[c] += 2e-5 * Math.abs(dy[r * cols + c] * xhat);
                    }
                }
                for (boolean withParams : new boolean[] {true, false}) {
                    Slice dx = f32Out(rows * cols);
                    Slice dgamma = withParams ? f32Out(cols) : null;
                    Slice dbeta = withParams ? f32Out(cols) : null;
                    backend.batchNormBackward(xs, f32(dy), rows, cols, gs, mean, inv, dx, dgamma, dbeta);
                    assertClose(what + ": dx", g.dx, get(dx), 1e-4, dxAtol);
                    if (withParams) {
                        assertWithin(what + ": dgamma", g.dgamma, get(dgamma), dgTol);
                        assertWithin(what + ": dbeta", g.dbeta, get(dbeta), dbTol);
                    }
                }
                // dx == null: the first trainable layer wants only its parameter gradients.
                Slice dgamma = f32Out(cols);
                Slice dbeta = f32Out(cols);
                backend.batchNormBackward(xs, f32(dy), rows, cols, gs, mean, inv, null, dgamma, dbeta);
                assertWithin(what + ": dgamma without dx", g.dgamma, get(dgamma), dgTol);
                assertWithin(what + ": dbeta without dx", g.dbeta, get(dbeta), dbTol);
            }
        }
    }

    // ================================================================== optimizers

    /** One optimizer configuration: its state slots and how to run one step on the backend and reference. */
    private interface OptimizerCase {
        String name();

        /** Number of state vectors (besides params). */
        int states();

        /** Initial value of state vector {@code s}. */
        default float initialState(int s) {
            return 0f;
        }

        void backendStep(Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters);

        void referenceStep(double[] p, double[] g, double[][] st, double lr, int t);
    }

    private static OptimizerCase sgd(String name, float momentum, boolean nesterov, boolean withVelocity) {
        return new OptimizerCase() {
            public String name() {
                return name;
            }

            public int states() {
                return withVelocity ? 1 : 0;
            }

            public void backendStep(Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                p.buffer().backend().sgdUpdate(p, g, withVelocity ? st[0] : null, n, hyper, momentum, nesterov);
            }

            public void referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                Reference64.sgd(p, g, withVelocity ? st[0] : null, lr, momentum, nesterov);
            }
        };
    }

    /**
     * updateThenAdvanceCounters (a step's last update, which a backend may have advance the counters in its rule's
     * kernel) gives the same bits as the update followed by advanceCounters, for Adam (which reads the step from the
     * counters), SGD with momentum and RMSprop, three steps in a row (each advancing the counters exactly once); a
     * null update and counters that are not two I32s are refused.
     */
    @Test
    void updateThenAdvanceCountersIsTheUpdateThenTheAdvance() {
        int n = 5003;
        for (String rule : new String[] {"adam", "momentum", "rmsprop"}) {
            Slice[][] twins = new Slice[2][];
            Slice[] counters = new Slice[2];
            float[] p0 = normal(n, 1);
            float[] g = normal(n, 0.1);
            for (int twin = 0; twin < 2; twin++) {
                twins[twin] = new Slice[] {f32(p0), f32(g), f32(new float[n]), f32(new float[n])};
                counters[twin] = i32(new int[] {4, 9});
            }
            Slice hyper = f32(new float[] {1e-2f});
            for (int step = 1; step <= 3; step++) {
                for (int twin = 0; twin < 2; twin++) {
                    Slice[] t = twins[twin];
                    Slice c = counters[twin];
                    Runnable update = () -> {
                        switch (rule) {
                            case "adam" -> backend.adamUpdate(t[0], t[1], t[2], t[3], null, n, hyper, c, 0.9f,
                                    0.999f, 1e-7f);
                            case "momentum" -> backend.sgdUpdate(t[0], t[1], t[2], n, hyper, 0.9f, false);
                            default -> backend.rmspropUpdate(t[0], t[1], t[3], null, null, n, hyper, 0.9f, 0f,
                                    1e-7f);
                        }
                    };
                    if (twin == 0) {
                        update.run();
                        backend.advanceCounters(c);
                    } else {
                        backend.updateThenAdvanceCounters(c, update);
                    }
                }
                String what = rule + " step " + step + ctx();
                assertArrayEquals(new int[] {4 + step, 9 + step}, getInts(counters[1]), what + ": counters");
                assertArrayEquals(getInts(counters[0]), getInts(counters[1]), what + ": counters");
                for (int i = 0; i < 4; i++) {
                    assertArrayEquals(get(twins[0][i]), get(twins[1][i]), what + ": array " + i);
                }
            }
        }
        Slice counters = i32(new int[] {0, 0});
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> backend.updateThenAdvanceCounters(counters, null));
        assertTrue(e.getMessage().contains("update"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> backend.updateThenAdvanceCounters(f32(new float[2]), () -> { }));
    }

    /**
     * Adam gives the same bits wherever its slices start: at offset 0, at a 16-byte multiple and at the suite's
     * usual odd offset (a GPU backend may move four elements at a time where every buffer is 16-byte aligned, and
     * one at a time elsewhere), with a length that leaves a tail of three, over five steps.
     */
    @Test
    void adamUpdateGivesTheSameBitsAtAnyOffset() {
        int n = 1003;
        float[] p0 = normal(n, 1);
        float[][] grads = new float[5][];
        for (int t = 0; t < grads.length; t++) {
            grads[t] = normal(n, 0.1);
        }
        float[][] results = new float[3][];
        for (int variant = 0; variant < 3; variant++) {
            int offset = variant == 0 ? 0 : variant == 1 ? 4 : PAD;
            Slice[] s = new Slice[4]; // params, grads, m, v
            for (int i = 0; i < s.length; i++) {
                Buffer b = backend.allocate(DType.F32, n + 8);
                owned.add(b);
                s[i] = b.slice(offset, n);
            }
            backend.upload(p0, 0, s[0]);
            Slice hyper = f32(new float[] {1e-2f});
            Slice counters = i32(new int[] {0, 0});
            for (float[] g : grads) {
                backend.upload(g, 0, s[1]);
                backend.adamUpdate(s[0], s[1], s[2], s[3], null, n, hyper, counters, 0.9f, 0.999f, 1e-7f);
                backend.advanceCounters(counters);
            }
            float[] m = get(s[2]);
            float[] v = get(s[3]);
            float[] p = get(s[0]);
            results[variant] = new float[3 * n];
            System.arraycopy(p, 0, results[variant], 0, n);
            System.arraycopy(m, 0, results[variant], n, n);
            System.arraycopy(v, 0, results[variant], 2 * n, n);
        }
        assertArrayEquals(results[0], results[1], "params, m and v at offset 4 against offset 0" + ctx());
        assertArrayEquals(results[0], results[2], "params, m and v at offset " + PAD + " against offset 0" + ctx());
    }

    private static OptimizerCase adam(String name, float b1, float b2, float eps, boolean amsgrad) {
        return new OptimizerCase() {
            public String name() {
                return name;
            }

            public int states() {
                return amsgrad ? 3 : 2;
            }

            public void backendStep(Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                p.buffer().backend().adamUpdate(p, g, st[0], st[1], amsgrad ? st[2] : null, n, hyper, counters,
                        b1, b2, eps);
            }

            public void referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                Reference64.adam(p, g, st[0], st[1], amsgrad ? st[2] : null, lr, t, b1, b2, eps);
            }
        };
    }

    private static OptimizerCase rmsprop(String name, float rho, float momentum, boolean withMomentum,
                                         boolean centered, float eps) {
        return new OptimizerCase() {
            public String name() {
                return name;
            }

            public int states() {
                return 3;
            }

            public void backendStep(Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                p.buffer().backend().rmspropUpdate(p, g, st[0], withMomentum ? st[1] : null,
                        centered ? st[2] : null, n, hyper, rho, momentum, eps);
            }

            public void referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                Reference64.rmsprop(p, g, st[0], withMomentum ? st[1] : null, centered ? st[2] : null, lr, rho,
                        momentum, eps);
            }
        };
    }

    private static OptimizerCase adagrad(String name, float initial, float eps) {
        return new OptimizerCase() {
            public String name() {
                return name;
            }

            public int states() {
                return 1;
            }

            public float initialState(int s) {
                return initial;
            }

            public void backendStep(Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                p.buffer().backend().adagradUpdate(p, g, st[0], n, hyper, eps);
            }

            public void referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                Reference64.adagrad(p, g, st[0], lr, eps);
            }
        };
    }

    @Test
    void optimizersOverThreeStepsWithCounters() {
        OptimizerCase[] cases = {
            sgd("SGD plain", 0f, false, false),
            sgd("SGD momentum", 0.9f, false, true),
            sgd("SGD nesterov", 0.9f, true, true),
            adam("Adam", 0.9f, 0.999f, 1e-7f, false),
            adam("Adam eps=1e-3 (epsilon outside the sqrt)", 0.8f, 0.99f, 1e-3f, false),
            adam("Adam amsgrad", 0.9f, 0.999f, 1e-7f, true),
            rmsprop("RMSprop plain", 0.9f, 0f, false, false, 1e-7f),
            rmsprop("RMSprop momentum", 0.9f, 0.5f, true, false, 1e-7f),
            rmsprop("RMSprop centered", 0.9f, 0f, false, true, 1e-7f),
            rmsprop("RMSprop centered momentum", 0.8f, 0.3f, true, true, 1e-3f),
            adagrad("Adagrad", 0.1f, 1e-7f),
        };
        for (OptimizerCase oc : cases) {
            for (int n : new int[] {1, 1000, 70_001}) {
                String what = oc.name() + " n=" + n;
                float[] p0 = normal(n, 1);
                Slice p = f32(p0);
                double[] pRef = d(p0);
                Slice[] st = new Slice[oc.states()];
                double[][] stRef = new double[oc.states()][];
                for (int s = 0; s < st.length; s++) {
                    float[] init = new float[n];
                    Arrays.fill(init, oc.initialState(s));
                    st[s] = f32(init);
                    stRef[s] = d(init);
                }
                Slice hyper = f32(new float[] {0.01f});
                int step0 = 4;
                Slice counters = i32(new int[] {step0, 9});
                for (int step = 0; step < 3; step++) {
                    float lr = step == 2 ? 0.005f : 0.01f; // the op must read lr from the device every call
                    backend.upload(new float[] {lr}, 0, hyper);
                    float[] g = normal(n, 1);
                    double[] before = new double[st.length];
                    for (int s = 0; s < st.length; s++) {
                        before[s] = maxAbs(stRef[s]);
                    }
                    oc.backendStep(p, f32(g), st, n, hyper, counters);
                    oc.referenceStep(pRef, d(g), stRef, lr, step0 + step + 1);
                    backend.advanceCounters(counters);
                    String at = what + " step " + (step + 1);
                    // params: three float roundings of p plus the update's own (1e-6 of a 1e-2 step)
                    assertClose(at + ": params", pRef, get(p), 1e-6, 1e-7);
                    for (int s = 0; s < st.length; s++) {
                        // States are running averages stored in float each step; where the new gradient
                        // cancels the old average the result keeps the rounding of the old state and of the
                        // gradient term, a few EPS of their magnitudes, not of the (possibly tiny) new state:
                        // hence the absolute part is sized from all three. (Sizing it from the new state alone
                        // failed about once in ten runs at n=1, on every backend alike.)
                        double scale = Math.max(Math.max(before[s], maxAbs(stRef[s])), maxAbs(d(g)));
                        assertClose(at + ": state " + s, stRef[s], get(st[s]), 1e-5, 8 * EPS * scale);
                    }
                    assertArrayEquals(new int[] {step0 + step + 1, 9 + step + 1}, getInts(counters),
                            at + ": counters" + ctx());
                }
            }
        }
    }

    // ================================================================== data movement

    @Test
    void gatherEveryDtypeWithAndWithoutIndicesAndTransform() {
        int srcRows = 300;
        int batchSize = 64;
        for (int width : new int[] {1, 13, 784}) {
            byte[] bytes = new byte[srcRows * width];
            rnd.nextBytes(bytes);
            float[] floats = normal(srcRows * width, 2);
            int[] ints = new int[srcRows * width];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = rnd.nextInt();
            }
            Slice u8 = u8(bytes);
            Slice f32 = f32(floats);
            Slice i32 = i32(ints);
            int[] perm = shuffled(srcRows);
            Slice indices = i32(perm);
            float[] scale = uniform(width, 0.001, 0.01);
            float[] shift = normal(width, 1);
            Slice scaleS = f32(scale);
            Slice shiftS = f32(shift);
            for (boolean withIndices : new boolean[] {false, true}) {
                for (int batch : new int[] {-1, 0, 2, 4}) { // -1: counters == null (batch 0); 4: last, partial
                    int rows = batch == 4 ? srcRows - 4 * batchSize : batchSize;
                    Slice counters = batch < 0 ? null : i32(new int[] {11, batch});
                    int[] from = Reference64.gatherRows(withIndices ? perm : null, Math.max(batch, 0), batchSize,
                            rows);
                    String what = "gather width=" + width + " batch=" + batch + (withIndices ? " indexed" : "");
                    for (boolean transform : new boolean[] {false, true}) {
                        String w = what + (transform ? " transformed" : "");
                        double[] u8Src = new double[bytes.length];
                        for (int i = 0; i < bytes.length; i++) {
                            u8Src[i] = bytes[i] & 0xff;
                        }
                        for (int kind = 0; kind < 2; kind++) {
                            double[] srcD = kind == 0 ? u8Src : d(floats);
                            Slice out = f32Out(rows * width);
                            backend.gather(kind == 0 ? u8 : f32, width, withIndices ? indices : null, counters,
                                    batchSize, rows, transform ? scaleS : null, transform ? shiftS : null, out);
                            double[] expected = Reference64.gather(srcD, width, from,
                                    transform ? d(scale) : null, transform ? d(shift) : null);
                            double[] tol = new double[expected.length];
                            if (transform) {
                                for (int r = 0; r < rows; r++) {
                                    for (int f = 0; f < width; f++) {
                                        // x * s + b as a product and a sum, or one FMA: 2 EPS of the terms
                                        tol[r * width + f] = 2 * EPS * (Math.abs(srcD[from[r] * width + f] * scale[f])
                                                + Math.abs(shift[f]));
                                    }
                                }
                            }
                            assertWithin(w + (kind == 0 ? " U8" : " F32"), expected, get(out), tol);
                        }
                    }
                    Slice outI = i32(new int[rows * width]);
                    backend.gather(i32, width, withIndices ? indices : null, counters, batchSize, rows, null, null,
                            outI);
                    int[] expectedI = new int[rows * width];
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(ints, from[r] * width, expectedI, r * width, width);
                    }
                    assertArrayEquals(expectedI, getInts(outI), what + " I32" + ctx());
                }
            }
        }
    }

    /**
     * gatherBatch is the gather of the inputs and the gather of the targets from the same rows, bit for bit (it may
     * be one launch): U8 and F32 inputs, I32 labels and F32 target rows, with and without indices and transform, by
     * the device batch counter and without it, the last batch partial; and targets with other rows than the
     * inputs, or of bytes, which a backend must leave to the two gathers. The two gathers are checked against
     * float64 above.
     */
    @Test
    void gatherBatchIsTheTwoGathers() {
        int srcRows = 200;
        int batchSize = 48;
        for (int width : new int[] {1, 37, 784}) {
            byte[] bytes = new byte[srcRows * width];
            rnd.nextBytes(bytes);
            Slice u8 = u8(bytes);
            Slice f32 = f32(normal(srcRows * width, 2));
            Slice scale = f32(uniform(width, 0.001, 0.01));
            Slice shift = f32(normal(width, 1));
            int[] labels = new int[srcRows];
            for (int i = 0; i < srcRows; i++) {
                labels[i] = rnd.nextInt(10);
            }
            Slice labelsS = i32(labels);
            Slice targets = f32(normal(srcRows * 10, 1));
            Slice otherRowsTargets = f32(normal((srcRows + 7) * 3, 1)); // more rows than the inputs
            byte[] byteTargets = new byte[srcRows * 2];
            rnd.nextBytes(byteTargets);
            Slice u8Targets = u8(byteTargets); // gathered into floats, as gather does
            Slice indices = i32(shuffled(srcRows));
            for (int batch : new int[] {-1, 1, 4}) { // -1: counters == null (batch 0); 4: last, partial
                int rows = batch == 4 ? srcRows - 4 * batchSize : batchSize;
                Slice counters = batch < 0 ? null : i32(new int[] {3, batch});
                for (int variant = 0; variant < 8; variant++) {
                    Slice x = (variant & 1) == 0 ? u8 : f32;
                    boolean transform = (variant & 2) != 0;
                    Slice idx = (variant & 4) != 0 ? indices : null;
                    for (int yKind = 0; yKind < 4; yKind++) {
                        Slice y = yKind == 0 ? labelsS : yKind == 1 ? targets : yKind == 2 ? otherRowsTargets
                                : u8Targets;
                        int yWidth = yKind == 0 ? 1 : yKind == 1 ? 10 : yKind == 2 ? 3 : 2;
                        String what = "gatherBatch width=" + width + " batch=" + batch + " " + x.dtype() + " x"
                                + (transform ? " transformed" : "") + (idx != null ? " indexed" : "") + ", "
                                + y.dtype() + " y of width " + yWidth + (yKind == 2 ? " with more rows" : "");
                        Slice xs = transform ? scale : null;
                        Slice xh = transform ? shift : null;
                        Slice xOut = f32Out(rows * width);
                        Slice xRef = f32Out(rows * width);
                        Slice yOut = yKind == 0 ? i32(new int[rows]) : f32Out(rows * yWidth);
                        Slice yRef = yKind == 0 ? i32(new int[rows]) : f32Out(rows * yWidth);
                        backend.gatherBatch(x, width, xs, xh, xOut, y, yWidth, yOut, idx, counters, batchSize, rows);
                        backend.gather(x, width, idx, counters, batchSize, rows, xs, xh, xRef);
                        backend.gather(y, yWidth, idx, counters, batchSize, rows, null, null, yRef);
                        assertArrayEquals(get(xRef), get(xOut), what + ": inputs" + ctx());
                        if (yKind == 0) {
                            assertArrayEquals(getInts(yRef), getInts(yOut), what + ": targets" + ctx());
                        } else {
                            assertArrayEquals(get(yRef), get(yOut), what + ": targets" + ctx());
                        }
                    }
                }
            }
        }
    }

    /**
     * gatherBatchThenAdvanceCounters (an evaluation batch's gather, which a backend may have advance the counters in
     * its launch) is gatherBatch then advanceCounters: five batches in a row from counters {3, 0}, each gathered at
     * the batch the counters point to and advancing both by one, the last batch partial; U8 and F32 inputs of 1 and
     * 784 features (one work-group to hundreds), indexed or not, I32 labels, F32 rows, and byte targets (which a
     * backend leaves to the two gathers). Null counters are refused.
     */
    @Test
    void gatherBatchThenAdvanceCountersIsTheGatherThenTheAdvance() {
        int srcRows = 200;
        int batchSize = 48;
        for (int width : new int[] {1, 784}) {
            byte[] bytes = new byte[srcRows * width];
            rnd.nextBytes(bytes);
            int[] labels = new int[srcRows];
            for (int i = 0; i < srcRows; i++) {
                labels[i] = rnd.nextInt(10);
            }
            byte[] byteTargets = new byte[srcRows * 2];
            rnd.nextBytes(byteTargets);
            Slice[] xs = {u8(bytes), f32(normal(srcRows * width, 2))};
            Slice[] ys = {i32(labels), f32(normal(srcRows * 10, 1)), u8(byteTargets)};
            int[] yWidths = {1, 10, 2};
            Slice indices = i32(shuffled(srcRows));
            for (int variant = 0; variant < 12; variant++) {
                Slice x = xs[variant & 1];
                Slice idx = (variant & 2) != 0 ? indices : null;
                int yKind = variant / 4;
                Slice y = ys[yKind];
                int yWidth = yWidths[yKind];
                String what = "gatherBatchThenAdvanceCounters width=" + width + " " + x.dtype() + " x"
                        + (idx != null ? " indexed" : "") + ", " + y.dtype() + " y";
                Slice counters = i32(new int[] {3, 0});
                Slice twin = i32(new int[] {3, 0});
                for (int batch = 0; batch < 5; batch++) {
                    int rows = batch == 4 ? srcRows - 4 * batchSize : batchSize;
                    Slice xOut = f32Out(rows * width);
                    Slice xRef = f32Out(rows * width);
                    Slice yOut = yKind == 0 ? i32(new int[rows]) : f32Out(rows * yWidth);
                    Slice yRef = yKind == 0 ? i32(new int[rows]) : f32Out(rows * yWidth);
                    backend.gatherBatchThenAdvanceCounters(x, width, null, null, xOut, y, yWidth, yOut, idx, counters,
                            batchSize, rows);
                    backend.gatherBatch(x, width, null, null, xRef, y, yWidth, yRef, idx, twin, batchSize, rows);
                    backend.advanceCounters(twin);
                    String at = what + " batch " + batch + ctx();
                    assertArrayEquals(new int[] {4 + batch, 1 + batch}, getInts(counters), at + ": counters");
                    assertArrayEquals(get(xRef), get(xOut), at + ": inputs");
                    if (yKind == 0) {
                        assertArrayEquals(getInts(yRef), getInts(yOut), at + ": targets");
                    } else {
                        assertArrayEquals(get(yRef), get(yOut), at + ": targets");
                    }
                }
            }
        }
        Slice x = f32(normal(10, 1));
        Slice y = i32(new int[10]);
        assertThrows(NullPointerException.class, () -> backend.gatherBatchThenAdvanceCounters(x, 1, null, null,
                f32Out(5), y, 1, i32(new int[5]), null, null, 5, 5), "null counters" + ctx());
    }

    private int[] shuffled(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Test
    void randomPermutationFollowsItsDefinition() {
        for (int n : new int[] {0, 1, 2, 1000, 100_000}) {
            long permSeed = rnd.nextLong();
            int[] previous = null;
            for (int epoch : new int[] {0, 1, 12_345}) {
                String what = "randomPermutation n=" + n + " epoch=" + epoch;
                Slice out = i32(new int[n]);
                backend.randomPermutation(out, n, permSeed, epoch);
                int[] got = getInts(out);
                int[] sorted = got.clone();
                Arrays.sort(sorted);
                for (int i = 0; i < n; i++) {
                    assertEquals(i, sorted[i], what + ": not a permutation" + ctx());
                }
                assertArrayEquals(Reference64.randomPermutation(n, permSeed, epoch), got, what + ctx());
                if (previous != null && n >= 10) {
                    assertFalse(Arrays.equals(previous, got), what + ": same order as the previous epoch" + ctx());
                }
                previous = got;
            }
        }
    }

    @Test
    void advanceCountersIncrementsBoth() {
        Slice counters = i32(new int[] {3, 7});
        backend.advanceCounters(counters);
        assertArrayEquals(new int[] {4, 8}, getInts(counters));
        backend.advanceCounters(counters);
        assertArrayEquals(new int[] {5, 9}, getInts(counters));
    }

    // ================================================================== errors

    @Test
    void wrongDtypeIsRejected() {
        Slice ints = i32(new int[8]);
        Slice floats = f32(new float[8]);
        assertThrows(IllegalArgumentException.class, () -> backend.fill(ints, 1f));
        assertThrows(IllegalArgumentException.class, () -> backend.download(ints, new float[8], 0));
        assertThrows(IllegalArgumentException.class, () -> backend.download(floats, new int[8], 0));
        assertThrows(IllegalArgumentException.class, () -> backend.upload(new int[8], 0, floats));
        assertThrows(IllegalArgumentException.class,
                () -> backend.gemm(false, false, 2, 2, 2, 1f, ints.slice(0, 4), floats, 0f, floats.slice(4, 4)));
        assertThrows(IllegalArgumentException.class, () -> backend.copy(ints, floats));
        assertThrows(IllegalArgumentException.class, () -> backend.advanceCounters(floats.slice(0, 2)));
        assertThrows(IllegalArgumentException.class, // sparse labels must be I32
                () -> backend.softmaxCrossEntropy(floats.slice(0, 4), floats.slice(4, 2), true, 2, 2,
                        f32Out(4), null, 1f, f32Out(2)));
    }

    @Test
    void tooShortSlicesAreRejected() {
        Slice a = f32(normal(6, 1));
        Slice b = f32(normal(6, 1));
        Slice c = f32Out(3);
        assertThrows(IllegalArgumentException.class,
                () -> backend.gemm(false, false, 2, 2, 3, 1f, a, b, 0f, c), "c holds 3 < m*n = 4");
        assertThrows(IllegalArgumentException.class,
                () -> backend.gemm(false, false, 3, 2, 3, 1f, a, b, 0f, f32Out(6)), "a holds 6 < m*k = 9");
        assertThrows(IllegalArgumentException.class,
                () -> backend.biasActivationForward(a, f32(new float[2]), 2, 3, ActivationFunction.RELU, 0f,
                        f32Out(6)), "bias holds 2 < cols = 3");
        assertThrows(IllegalArgumentException.class,
                () -> backend.dropoutForward(a, f32Out(6), 7, 0.5f, 1L, 0, i32(new int[2])), "n = 7 > 6");
        assertThrows(IllegalArgumentException.class, () -> backend.advanceCounters(i32(new int[1])));
        assertThrows(IllegalArgumentException.class, () -> backend.upload(new float[3], 0, a), "3 < 6");
        assertThrows(IllegalArgumentException.class, () -> backend.upload(new float[6], 1, a), "offset 1 + 6 > 6");
        assertThrows(IllegalArgumentException.class, () -> backend.download(a, new float[5], 0), "5 < 6");
        assertThrows(IllegalArgumentException.class, () -> backend.copy(a, f32Out(5)), "lengths differ");
        assertThrows(IllegalArgumentException.class,
                () -> backend.columnSums(a, -1, 3, f32Out(3)), "negative rows");
        assertThrows(IllegalArgumentException.class,
                () -> backend.allocate(DType.F32, -1), "negative length");
    }

    @Test
    void closedBuffersAndBackendsAreRejected() {
        Buffer buf = backend.allocate(DType.F32, 4);
        Slice s = buf.all();
        buf.close();
        buf.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> backend.fill(s, 1f));
        assertThrows(IllegalStateException.class, () -> backend.download(s, new float[4], 0));
        assertThrows(IllegalStateException.class, () -> backend.upload(new float[4], 0, s));

        Backend other = createBackend();
        Buffer ob = other.allocate(DType.F32, 4);
        try {
            // A buffer of another backend instance is not this backend's memory.
            assertThrows(IllegalArgumentException.class, () -> backend.fill(ob.all(), 1f));
        } finally {
            other.close();
        }
        other.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> other.allocate(DType.F32, 1));
        assertThrows(IllegalStateException.class, () -> other.fill(ob.all(), 1f));
        ob.close(); // closing a buffer of a closed backend is harmless
    }
}
