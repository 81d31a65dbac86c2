package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dendrite.backend.cpu.CpuBackend;

import org.junit.jupiter.api.Test;

/**
 * The noise family's conformance suite (GaussianNoise, GaussianDropout, AlphaDropout), run on every backend by a
 * subclass: each op against a float64 computation of its definition (Box-Muller on Philox words, Keras 3's
 * AlphaDropout constants written out here, not taken from {@link Noise}), the same noise as the CPU backend for the
 * same seed and step, the statistics of many draws, and new noise from a recorded step on every replay.
 *
 * <p>Tolerances: the GPUs compute {@code log}, {@code sqrt}, {@code cospi} and {@code sinpi} in float (each within
 * 4 ulp by the OpenCL full profile and CUDA's tables), so a normal value may differ from its float64 definition by
 * about 1e-6 relative; {@link #Z_RTOL} 1e-5 plus an absolute {@link #Z_ATOL} (for values near a zero of cos/sin,
 * where the relative error of the result is unbounded but the absolute one is an ulp of the radius) leave a wide
 * margin while a wrong word, branch or constant moves a value by O(1). The affine steps add 3 roundings.
 *
 * <p>Statistics over n draws are checked to 6 standard errors of their estimator (stated at each check), so a
 * correct generator fails about once in 10^8 runs, while a bias of a few percent fails every time.
 */
public abstract class NoiseConformanceTest extends OpFamilyConformance {
    static final double Z_RTOL = 1e-5;
    static final double Z_ATOL = 1e-6 * 6;
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    /** z(i) in float64, written from the definition in {@link Noise}'s documentation. */
    static double normal64(long seed, int i, int step, int stream) {
        int[] w = Philox.block(i >>> 2, step, stream, 0, (int) seed, (int) (seed >>> 32));
        int p = i & 2;
        double u1 = ((w[p] >>> 8) + 1) / 16777216.0;
        double u2 = (w[p + 1] >>> 8) / 16777216.0;
        double r = Math.sqrt(-2 * Math.log(u1));
        return (i & 1) == 0 ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
    }

    private static double[] normals64(int n, long seed, int step, int stream) {
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = normal64(seed, i, step, stream);
        }
        return z;
    }

    /** Tolerance of {@code base + scale * z} for each element: z's own error times scale, plus 3 roundings. */
    private static double[] affineTolerance(double[] base, double[] scaledZ, double scale, double[] z) {
        double[] tol = new double[z.length];
        for (int i = 0; i < tol.length; i++) {
            tol[i] = Math.abs(scale) * (Z_RTOL * Math.abs(z[i]) + Z_ATOL)
                    + 3 * EPS * (Math.abs(base[i]) + Math.abs(scaledZ[i]));
        }
        return tol;
    }

    @Test
    void gaussianNoiseFollowsTheDefinition() {
        for (int n : new int[] {1, 7, 100_003}) {
            float stddev = 0.3f;
            long s = rnd.nextLong();
            int stream = rnd.nextInt(1000);
            int step = rnd.nextInt(1000);
            float[] x = normal(n, 1);
            Slice counters = i32(new int[] {step, 0});
            Slice y = f32Out(n);
            backend.gaussianNoise(f32(x), y, n, stddev, s, stream, counters);
            double[] z = normals64(n, s, step, stream);
            double[] want = new double[n];
            double[] noise = new double[n];
            for (int i = 0; i < n; i++) {
                noise[i] = stddev * z[i];
                want[i] = x[i] + noise[i];
            }
            assertWithin("gaussianNoise n=" + n, want, get(y), affineTolerance(d(x), noise, stddev, z));
            Slice xy = f32(x);
            backend.gaussianNoise(xy, xy, n, stddev, s, stream, counters);
            assertWithin("gaussianNoise in place n=" + n, want, get(xy), affineTolerance(d(x), noise, stddev, z));
        }
    }

    @Test
    void gaussianDropoutFollowsTheDefinition() {
        for (int n : new int[] {1, 7, 100_003}) {
            float rate = n == 7 ? 0.1f : 0.4f;
            double sigma = Math.sqrt(rate / (1.0 - rate));
            long s = rnd.nextLong();
            int stream = rnd.nextInt(1000);
            int step = rnd.nextInt(1000);
            Slice counters = i32(new int[] {step, 0});
            double[] z = normals64(n, s, step, stream);
            float[] x = normal(n, 1);
            double[] want = new double[n];
            double[] tol = new double[n];
            for (int i = 0; i < n; i++) {
                want[i] = x[i] * (1 + sigma * z[i]);
                tol[i] = Math.abs(x[i]) * sigma * (Z_RTOL * Math.abs(z[i]) + Z_ATOL)
                        + 4 * EPS * Math.abs(x[i]) * (1 + sigma * Math.abs(z[i]));
            }
            String what = "gaussianDropout n=" + n + " rate=" + rate;
            Slice y = f32Out(n);
            backend.gaussianDropout(f32(x), y, n, rate, s, stream, counters);
            assertWithin(what, want, get(y), tol);
            // The backward pass is the same call on dy, in place as the layer may issue it.
            Slice xy = f32(x);
            backend.gaussianDropout(xy, xy, n, rate, s, stream, counters);
            assertWithin(what + " in place", want, get(xy), tol);
        }
    }

    @Test
    void alphaDropoutFollowsKeras3InBothPasses() {
        for (int n : new int[] {1, 7, 100_003}) {
            for (float rate : new float[] {0.1f, 0.5f}) {
                String what = "alphaDropout n=" + n + " rate=" + rate;
                double alphaP = -SELU_ALPHA * SELU_SCALE;
                double a = Math.pow((1 - rate) * (1 + rate * alphaP * alphaP), -0.5);
                double b = -a * alphaP * rate;
                long s = rnd.nextLong();
                int stream = rnd.nextInt(1000);
                int step = rnd.nextInt(1000);
                Slice counters = i32(new int[] {step, 0});
                boolean[] keep = Reference64.dropoutMask(n, rate, s, stream, step);
                float[] x = normal(n, 1);
                double[] want = new double[n];
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    want[i] = a * (keep[i] ? x[i] : alphaP) + b;
                    tol[i] = 4 * EPS * (Math.abs(a * (keep[i] ? x[i] : alphaP)) + Math.abs(b));
                }
                Slice y = f32Out(n);
                backend.alphaDropoutForward(f32(x), y, n, rate, s, stream, counters);
                assertWithin(what + ": forward", want, get(y), tol);
                Slice xy = f32(x);
                backend.alphaDropoutForward(xy, xy, n, rate, s, stream, counters);
                assertWithin(what + ": forward in place", want, get(xy), tol);
                float[] dy = normal(n, 1);
                double[] wantDx = new double[n];
                for (int i = 0; i < n; i++) {
                    wantDx[i] = keep[i] ? a * dy[i] : 0;
                }
                Slice dx = f32Out(n);
                backend.alphaDropoutBackward(f32(dy), dx, n, rate, s, stream, counters);
                assertClose(what + ": backward", wantDx, get(dx), 2 * EPS, 0);
            }
        }
    }

    /** The brief's promise: a seed and step give the same noise on this backend as on the CPU. */
    @Test
    void sameSeedAndStepGiveTheCpuBackendsNoise() {
        int n = 4099;
        long s = rnd.nextLong();
        int stream = 11;
        int step = rnd.nextInt(100_000);
        float[] x = normal(n, 1);
        try (CpuBackend cpu = new CpuBackend(2)) {
            Slice cx = cpu.allocate(DType.F32, n).all();
            cpu.upload(x, 0, cx);
            Slice cc = cpu.allocate(DType.I32, 2).all();
            cpu.upload(new int[] {step, 0}, 0, cc);
            float[][] onCpu = new float[3][n];
            Slice cy = cpu.allocate(DType.F32, n).all();
            cpu.gaussianNoise(cx, cy, n, 1f, s, stream, cc);
            cpu.download(cy, onCpu[0], 0);
            cpu.gaussianDropout(cx, cy, n, 0.5f, s, stream, cc);
            cpu.download(cy, onCpu[1], 0);
            cpu.alphaDropoutForward(cx, cy, n, 0.2f, s, stream, cc);
            cpu.download(cy, onCpu[2], 0);

            Slice counters = i32(new int[] {step, 0});
            Slice xs = f32(x);
            Slice y = f32Out(n);
            backend.gaussianNoise(xs, y, n, 1f, s, stream, counters);
            float[] here = get(y);
            double[] tol = new double[n];
            for (int i = 0; i < n; i++) {
                tol[i] = Z_RTOL * Math.abs(onCpu[0][i] - x[i]) + Z_ATOL + 3 * EPS * Math.abs(onCpu[0][i]);
            }
            assertWithin("gaussianNoise against the cpu backend", d(onCpu[0]), here, tol);
            backend.gaussianDropout(xs, y, n, 0.5f, s, stream, counters);
            here = get(y);
            for (int i = 0; i < n; i++) {
                tol[i] = Math.abs(x[i]) * (Z_RTOL * 6 + Z_ATOL) + 4 * EPS * Math.abs(onCpu[1][i]);
            }
            assertWithin("gaussianDropout against the cpu backend", d(onCpu[1]), here, tol);
            backend.alphaDropoutForward(xs, y, n, 0.2f, s, stream, counters);
            // The same mask bit for bit; the kept values within an FMA's rounding.
            assertClose("alphaDropout against the cpu backend", d(onCpu[2]), get(y), 2 * EPS, 2 * EPS);
        }
    }

    /**
     * Standard normal statistics of 400,003 draws: the mean (standard error 1/sqrt(n) = 0.0016), the variance
     * (standard error sqrt(2/n) = 0.0022), the fraction within one standard deviation (0.6827, standard error
     * sqrt(p(1-p)/n) = 0.0007) and the fraction beyond 3 (0.0027, 0.00008); neighbouring elements (which share
     * a block) and the same element one step later are uncorrelated (standard error 1/sqrt(n)). Each within 6
     * standard errors.
     */
    @Test
    void gaussianNoiseHasStandardNormalStatistics() {
        int n = 400_003;
        long s = rnd.nextLong();
        int step = rnd.nextInt(1000);
        Slice zeros = f32(new float[n]);
        Slice counters = i32(new int[] {step, 0});
        Slice y = f32Out(n);
        backend.gaussianNoise(zeros, y, n, 1f, s, 3, counters);
        float[] z = get(y);
        backend.advanceCounters(counters);
        backend.gaussianNoise(zeros, y, n, 1f, s, 3, counters);
        float[] next = get(y);
        double sum = 0;
        double sq = 0;
        int within1 = 0;
        int beyond3 = 0;
        double lag1 = 0;
        double lagStep = 0;
        for (int i = 0; i < n; i++) {
            sum += z[i];
            sq += (double) z[i] * z[i];
            within1 += Math.abs(z[i]) < 1 ? 1 : 0;
            beyond3 += Math.abs(z[i]) > 3 ? 1 : 0;
            lag1 += i + 1 < n ? (double) z[i] * z[i + 1] : 0;
            lagStep += (double) z[i] * next[i];
            assertTrue(Math.abs(z[i]) <= Noise.MAX_NORMAL + 1e-5, "|z| " + z[i] + " beyond Box-Muller's bound");
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        String where = " [seed " + seed + ", " + backend.name() + "]";
        assertEquals(0, mean, 6 / Math.sqrt(n), "mean" + where);
        assertEquals(1, var, 6 * Math.sqrt(2.0 / n), "variance" + where);
        double p1 = 0.682689492137;
        assertEquals(p1, (double) within1 / n, 6 * Math.sqrt(p1 * (1 - p1) / n), "P(|z| < 1)" + where);
        double p3 = 0.002699796063;
        assertEquals(p3, (double) beyond3 / n, 6 * Math.sqrt(p3 * (1 - p3) / n), "P(|z| > 3)" + where);
        assertEquals(0, lag1 / (n - 1), 6 / Math.sqrt(n), "correlation of neighbours" + where);
        assertEquals(0, lagStep / n, 6 / Math.sqrt(n), "correlation with the next step" + where);
    }

    /**
     * GaussianDropout's multiplicative noise on ones: mean 1 and variance rate / (1 - rate) = 0.25 at rate 0.2,
     * standard errors 0.5 / sqrt(n) and 0.25 sqrt(2 / n); within 6.
     */
    @Test
    void gaussianDropoutNoiseHasMeanOneAndKerasVariance() {
        int n = 400_003;
        float rate = 0.2f;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        Slice y = f32Out(n);
        backend.gaussianDropout(f32(ones), y, n, rate, rnd.nextLong(), 5, i32(new int[] {rnd.nextInt(1000), 0}));
        float[] m = get(y);
        double sum = 0;
        double sq = 0;
        for (float v : m) {
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        double want = rate / (1.0 - rate);
        String where = " [seed " + seed + ", " + backend.name() + "]";
        assertEquals(1, mean, 6 * Math.sqrt(want / n), "mean" + where);
        assertEquals(want, var, 6 * want * Math.sqrt(2.0 / n), "variance" + where);
    }

    /**
     * AlphaDropout keeps the mean 0 and variance 1 of selu-distributed inputs (selu of standard normal values,
     * selu's fixed point: mean 0, variance 1 to 1e-4). Over 400,003 values the sample mean's standard error is
     * about 1/sqrt(n) = 0.0016 and the variance's about sqrt(3/n) = 0.0027 (selu's output is skewed; bounded by its
     * fourth moment, under 3); within 6 of each, plus the fixed point's 1e-4.
     */
    @Test
    void alphaDropoutKeepsMeanZeroAndVarianceOneOfSeluInputs() {
        int n = 400_003;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double g = rnd.nextGaussian();
            x[i] = (float) (SELU_SCALE * (g > 0 ? g : SELU_ALPHA * Math.expm1(g)));
        }
        for (float rate : new float[] {0.05f, 0.2f, 0.5f}) {
            Slice y = f32Out(n);
            backend.alphaDropoutForward(f32(x), y, n, rate, rnd.nextLong(), 9, i32(new int[] {rnd.nextInt(1000), 0}));
            float[] v = get(y);
            double sum = 0;
            double sq = 0;
            for (float e : v) {
                sum += e;
                sq += (double) e * e;
            }
            double mean = sum / n;
            double var = sq / n - mean * mean;
            String where = " at rate " + rate + " [seed " + seed + ", " + backend.name() + "]";
            assertEquals(0, mean, 6 / Math.sqrt(n) + 1e-4, "mean" + where);
            assertEquals(1, var, 6 * Math.sqrt(3.0 / n) + 1e-4, "variance" + where);
        }
    }

    /** A recorded step (a CUDA graph, an OpenCL recording) reads the step on the device: new noise every replay. */
    @Test
    void aRecordedStepDrawsNewNoiseOnEveryReplay() {
        int n = 1031;
        long s = rnd.nextLong();
        float[] x = normal(n, 1);
        Slice xs = f32(x);
        Slice y1 = f32Out(n);
        Slice y2 = f32Out(n);
        Slice y3 = f32Out(n);
        Slice counters = i32(new int[] {7, 0});
        try (CapturedStep step = backend.capture(() -> {
            backend.gaussianNoise(xs, y1, n, 0.5f, s, 2, counters);
            backend.gaussianDropout(xs, y2, n, 0.3f, s, 3, counters);
            backend.alphaDropoutForward(xs, y3, n, 0.3f, s, 4, counters);
            backend.advanceCounters(counters);
        })) {
            for (int replay = 0; replay < 3; replay++) {
                step.run();
                int at = 7 + replay;
                double[] z1 = normals64(n, s, at, 2);
                double[] z2 = normals64(n, s, at, 3);
                boolean[] keep = Reference64.dropoutMask(n, 0.3f, s, 4, at);
                float[] g1 = get(y1);
                float[] g2 = get(y2);
                float[] g3 = get(y3);
                double alphaP = -SELU_ALPHA * SELU_SCALE;
                double a = Math.pow(0.7 * (1 + 0.3 * alphaP * alphaP), -0.5);
                double b = -a * alphaP * 0.3;
                for (int i = 0; i < n; i++) {
                    double w1 = x[i] + 0.5 * z1[i];
                    assertEquals(w1, g1[i], 1e-5 * (1 + Math.abs(w1)), "gaussianNoise replay " + replay + " at " + i);
                    double w2 = x[i] * (1 + Math.sqrt(0.3 / 0.7) * z2[i]);
                    assertEquals(w2, g2[i], 1e-5 * (1 + Math.abs(w2)), "gaussianDropout replay " + replay + " at " + i);
                    double w3 = a * (keep[i] ? x[i] : alphaP) + b;
                    assertEquals(w3, g3[i], 1e-6 * (1 + Math.abs(w3)), "alphaDropout replay " + replay + " at " + i);
                }
            }
        }
        assertEquals(10, getInts(counters)[0], "three replays advanced the step counter three times");
    }

    @Test
    void badArgumentsAreRejectedWithTheirValue() {
        Slice x = f32(new float[4]);
        Slice y = f32Out(4);
        Slice counters = i32(new int[2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.gaussianNoise(x, y, 4, -0.5f, 1L, 0, counters));
        assertTrue(e.getMessage().contains("gaussianNoise") && e.getMessage().contains("-0.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend.gaussianDropout(x, y, 4, 1f, 1L, 0, counters));
        assertTrue(e.getMessage().contains("gaussianDropout") && e.getMessage().contains("rate 1.0"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.alphaDropoutForward(x, y, 5, 0.5f, 1L, 0, counters));
        assertTrue(e.getMessage().contains("alphaDropoutForward") && e.getMessage().contains("at least 5"),
                e.getMessage());
        Slice m = f32(new float[10]);
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.alphaDropoutBackward(m.slice(0, 5), m.slice(2, 5), 5, 0.5f, 1L, 0, counters));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
    }
}
