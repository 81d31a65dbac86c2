package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * Conformance of {@link Backend#adafactorUpdate} against a float64 reference of Keras 3's Adafactor written here
 * ({@link #reference}), on every backend: {@code CpuAdafactorConformanceTest}, {@code OpenClAdafactorConformanceTest}
 * (PoCL in CI) and {@code CudaAdafactorConformanceTest} (skipped, with the reason, where no driver is present).
 *
 * <p>Shapes cover the factored path ({@code 2 x 2}, {@code 3 x 5}, {@code 257 x 300}: more rows and columns than a
 * GPU block has threads), the full accumulator of vectors ({@code 1 x 1}, {@code 1 x 1000}, {@code 1 x 70001}) and of
 * rank-2 tensors with one column ({@code 70 x 1}). Two configurations: Keras's defaults, where {@code RMS(u)} is far
 * above the clip threshold, and one where it is below it and {@code epsilon_2} exceeds {@code RMS(w)}; three steps
 * each, from step 0 ({@code beta = 0}) and from step 4, with the learning rate changed on the device before the
 * third step to a value above {@code 1 / sqrt(t)}, so that both sides of {@code rho}'s minimum are taken.
 *
 * <p>Tolerances as in {@link OptimizerConformanceTest}: parameters {@code 1e-7 + 1e-6 |p|} plus {@code 4e-6} of each
 * step so far (a step is a product of a square root of a mean, a quotient and a clip factor from two more sums of
 * squares; the GPUs sum in float, Kahan per thread then a tree, so each carries some tens of EPS); states
 * {@code 1e-5} relative plus {@code 8 EPS} of the largest state or squared gradient. The places of a factored
 * tensor's slot past {@code rows + cols} must stay exactly 0.
 */
public abstract class AdafactorConformanceTest extends OpFamilyConformance {
    private record Config(float decay, float eps1, float eps2, float clip, double paramScale) {
        @Override
        public String toString() {
            return "decay=" + decay + " eps1=" + eps1 + " eps2=" + eps2 + " clip=" + clip + " |p|~" + paramScale;
        }
    }

    private static final Config[] CONFIGS = {
        new Config(-0.8f, 1e-30f, 1e-3f, 1f, 1),        // Keras's defaults: clipped
        new Config(-0.5f, 1e-3f, 0.05f, 100f, 0.01),    // not clipped; epsilon_2 above RMS(w)
    };

    private static final int[][] SHAPES = {{2, 2}, {3, 5}, {257, 300}, {1, 1}, {1, 1000}, {1, 70_001}, {70, 1}};

    private String where() {
        return " [seed " + seed + ", backend " + backend.name() + "]";
    }

    /**
     * Keras 3's Adafactor on one {@code rows x cols} variable in float64, with the op's state layout: r then c at
     * the start of {@code acc} where {@code rows, cols >= 2}, else v in all of it.
     */
    static void reference(double[] p, double[] g, double[] acc, int rows, int cols, double lr, int t, double decay,
                          double eps1, double eps2, double clip) {
        int n = rows * cols;
        double rho = Math.min(lr, 1 / Math.sqrt(t));
        double wSquares = 0;
        for (double w : p) {
            wSquares += w * w;
        }
        double alpha = Math.max(eps2, Math.sqrt(wSquares / n)) * rho;
        double beta = 1 - Math.pow(t, decay);
        double[] v = new double[n];
        if (rows > 1 && cols > 1) {
            double rMean = 0;
            for (int i = 0; i < rows; i++) {
                double mean = 0;
                for (int j = 0; j < cols; j++) {
                    mean += (g[i * cols + j] * g[i * cols + j] + eps1) / cols;
                }
                acc[i] = beta * acc[i] + (1 - beta) * mean;
                rMean += acc[i] / rows;
            }
            for (int j = 0; j < cols; j++) {
                double mean = 0;
                for (int i = 0; i < rows; i++) {
                    mean += (g[i * cols + j] * g[i * cols + j] + eps1) / rows;
                }
                acc[rows + j] = beta * acc[rows + j] + (1 - beta) * mean;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    v[i * cols + j] = acc[i] / rMean * acc[rows + j];
                }
            }
        } else {
            for (int k = 0; k < n; k++) {
                acc[k] = beta * acc[k] + (1 - beta) * (g[k] * g[k] + eps1);
                v[k] = acc[k];
            }
        }
        double[] u = new double[n];
        double uSquares = 0;
        for (int k = 0; k < n; k++) {
            u[k] = g[k] / Math.sqrt(v[k]);
            uSquares += u[k] * u[k];
        }
        double step = alpha / Math.max(1, Math.sqrt(uSquares / n) / clip);
        for (int k = 0; k < n; k++) {
            p[k] -= step * u[k];
        }
    }

    @Test
    void threeStepsMatchTheFloat64Reference() {
        for (Config c : CONFIGS) {
            for (int[] shape : SHAPES) {
                for (int step0 : new int[] {0, 4}) {
                    runCase(c, shape[0], shape[1], step0);
                }
            }
        }
    }

    private void runCase(Config c, int rows, int cols, int step0) {
        int n = rows * cols;
        boolean factored = rows > 1 && cols > 1;
        int used = factored ? rows + cols : n;
        String what = "Adafactor " + c + " " + rows + "x" + cols + " from step " + step0;
        float[] p0 = normal(n, c.paramScale());
        float[] acc0 = new float[n];
        for (int k = 0; k < used; k++) {
            acc0[k] = step0 == 0 ? 0f : (float) (0.001 + 0.009 * rnd.nextDouble()); // as after some training
        }
        Slice p = f32(p0);
        Slice acc = f32(acc0);
        double[] pRef = d(p0);
        double[] accRef = d(acc0);
        Slice hyper = f32(new float[] {0.01f});
        Slice counters = i32(new int[] {step0, 9});
        double[] carried = new double[n];
        for (int step = 0; step < 3; step++) {
            float lr = step == 2 ? 0.9f : 0.01f; // 0.9 > 1 / sqrt(t) for every t here but 1
            backend.upload(new float[] {lr}, 0, hyper);
            float[] g = normal(n, 1);
            double before = maxAbs(accRef);
            backend.adafactorUpdate(p, f32(g), acc, rows, cols, hyper, counters, c.decay(), c.eps1(), c.eps2(),
                    c.clip());
            double[] pBefore = pRef.clone();
            reference(pRef, d(g), accRef, rows, cols, lr, step0 + step + 1, c.decay(), c.eps1(), c.eps2(), c.clip());
            backend.advanceCounters(counters);
            String at = what + " step " + (step + 1);
            double[] tol = new double[n];
            for (int k = 0; k < n; k++) {
                carried[k] += 4e-6 * Math.abs(pRef[k] - pBefore[k]);
                tol[k] = 1e-7 + 1e-6 * Math.abs(pRef[k]) + carried[k];
            }
            assertWithin(at + ": params", pRef, get(p), tol);
            double scale = Math.max(Math.max(before, maxAbs(accRef)), maxAbs(d(g)) * maxAbs(d(g)));
            float[] accGot = get(acc);
            double[] stTol = new double[used];
            for (int k = 0; k < used; k++) {
                stTol[k] = 1e-5 * Math.abs(accRef[k]) + 8 * EPS * scale;
            }
            assertWithin(at + ": accumulator", Arrays.copyOf(accRef, used), Arrays.copyOf(accGot, used), stTol);
            assertArrayEquals(new float[n - used], Arrays.copyOfRange(accGot, used, n),
                    at + ": the accumulator past r and c stays 0" + where());
            assertArrayEquals(new int[] {step0 + step + 1, 9 + step + 1}, getInts(counters), at + where());
        }
    }

    private static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** A tensor in the middle of flat buffers (as a model's second kernel): only its own elements change. */
    @Test
    void aTensorInsideFlatBuffersChangesOnlyItself() {
        int rows = 40;
        int cols = 30;
        int n = rows * cols;
        int before = 123;
        int total = before + n + 77;
        float[] p0 = normal(total, 1);
        float[] g0 = normal(total, 1);
        float[] acc0 = new float[total];
        Arrays.fill(acc0, 0, before, 0.5f);
        Arrays.fill(acc0, before + n, total, 0.25f);
        Slice p = f32(p0);
        Slice acc = f32(acc0);
        Slice hyper = f32(new float[] {0.01f});
        Slice counters = i32(new int[] {0, 0});
        backend.adafactorUpdate(p.slice(before, n), f32(g0).slice(before, n), acc.slice(before, n), rows, cols, hyper,
                counters, -0.8f, 1e-30f, 1e-3f, 1f);
        double[] pRef = d(Arrays.copyOfRange(p0, before, before + n));
        double[] accRef = new double[n];
        reference(pRef, d(Arrays.copyOfRange(g0, before, before + n)), accRef, rows, cols, 0.01, 1, -0.8, 1e-30, 1e-3,
                1);
        float[] pGot = get(p);
        float[] accGot = get(acc);
        assertClose("Adafactor inside a flat buffer: params", pRef, Arrays.copyOfRange(pGot, before, before + n), 1e-6,
                1e-7);
        assertClose("Adafactor inside a flat buffer: r and c", Arrays.copyOf(accRef, rows + cols),
                Arrays.copyOfRange(accGot, before, before + rows + cols), 1e-5, 0);
        assertArrayEquals(Arrays.copyOf(p0, before), Arrays.copyOf(pGot, before), "params before it" + where());
        assertArrayEquals(Arrays.copyOfRange(p0, before + n, total), Arrays.copyOfRange(pGot, before + n, total),
                "params after it" + where());
        assertArrayEquals(Arrays.copyOf(acc0, before), Arrays.copyOf(accGot, before), "slot before it" + where());
        assertArrayEquals(Arrays.copyOfRange(acc0, before + n, total), Arrays.copyOfRange(accGot, before + n, total),
                "slot after it" + where());
    }

    @Test
    void badArgumentsAreRejectedNamingTheValue() {
        Slice p = f32(new float[6]);
        Slice g = f32(new float[6]);
        Slice acc = f32(new float[6]);
        Slice hyper = f32(new float[] {0.01f});
        Slice counters = i32(new int[2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, acc, 2, 3, hyper, counters, 0.5f, 1e-30f, 1e-3f, 1f));
        assertTrue(e.getMessage().contains("beta2Decay 0.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, acc, 2, 3, hyper, counters, -0.8f, -1f, 1e-3f, 1f));
        assertTrue(e.getMessage().contains("epsilon1 -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, acc, 2, 3, hyper, counters, -0.8f, 1e-30f, Float.NaN, 1f));
        assertTrue(e.getMessage().contains("epsilon2 NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, acc, 2, 3, hyper, counters, -0.8f, 1e-30f, 1e-3f, 0f));
        assertTrue(e.getMessage().contains("clipThreshold 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, acc, -2, 3, hyper, counters, -0.8f, 1e-30f, 1e-3f, 1f));
        assertTrue(e.getMessage().contains("rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, acc, 3, 3, hyper, counters, -0.8f, 1e-30f, 1e-3f, 1f));
        assertTrue(e.getMessage().contains("adafactorUpdate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.adafactorUpdate(p, g, p, 2, 3, hyper, counters, -0.8f, 1e-30f, 1e-3f, 1f));
        assertTrue(e.getMessage().contains("accumulator"), e.getMessage());
    }
}
