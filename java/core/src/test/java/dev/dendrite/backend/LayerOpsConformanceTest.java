package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * Conformance of the activation and preprocessing layers' ops ({@link Backend#reluForward},
 * {@link Backend#reluBackward}, {@link Backend#preluForward}, {@link Backend#preluBackward},
 * {@link Backend#featureAffine}) against float64 formulas written here from Keras's definitions, on every
 * backend: a subclass per backend, as {@link BackendConformanceTest}'s.
 *
 * <p>It borrows that suite's guarded buffers, random data and comparisons through a private instance of it
 * (so that its own cases do not run twice). Tolerances: these ops are one or two float operations per element,
 * so {@code 4 EPS} relative plus a tiny absolute floor (the Normalization map divides and multiplies: three
 * roundings, and a GPU may fuse them); the alpha gradient is a column sum and gets the suite's
 * {@link BackendConformanceTest#sumTolerance}. Inputs include the kinks themselves, so that each convention
 * (derivative 0 at the threshold and at max_value, the slope at 0 in the leaky case) is checked exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class LayerOpsConformanceTest {
    private static final double EPS = BackendConformanceTest.EPS;

    /** The backend under test, created once per test class. */
    protected abstract Backend createBackend();

    private final BackendConformanceTest kit = new BackendConformanceTest() {
        @Override
        protected Backend createBackend() {
            throw new UnsupportedOperationException("the backend is LayerOpsConformanceTest's");
        }
    };
    private long baseSeed;

    @BeforeAll
    final void openBackend() {
        baseSeed = Long.getLong("dendrite.seed", System.nanoTime());
        kit.backend = createBackend();
        System.out.println(getClass().getSimpleName() + ": " + kit.backend.description() + "; base seed " + baseSeed
                + " (rerun with -Ddendrite.seed=" + baseSeed + ")");
    }

    @AfterAll
    final void closeBackend() {
        if (kit.backend != null) {
            kit.backend.close();
        }
    }

    @BeforeEach
    final void seedTest(TestInfo info) {
        kit.seed = baseSeed * 31 + info.getDisplayName().hashCode();
        kit.rnd = new Random(kit.seed);
    }

    @AfterEach
    final void checkGuards() {
        kit.checkGuardsAndFree();
    }

    private Backend be() {
        return kit.backend;
    }

    // ------------------------------------------------------------------ float64 references (Keras's formulas)

    /** keras.activations.relu(x, negative_slope, max_value, threshold), max = +Inf for None. */
    public static double relu(double x, double slope, double max, double threshold) {
        if (slope != 0 && max == Double.POSITIVE_INFINITY && threshold == 0) {
            return x >= 0 ? x : slope * x;
        }
        double neg = slope != 0 ? Math.max(threshold - x, 0) : 0;
        double v = threshold != 0 ? (x > threshold ? x : 0) : Math.max(x, 0);
        if (max != Double.POSITIVE_INFINITY) {
            v = Math.min(Math.max(v, 0), max);
        }
        return v - slope * neg;
    }

    /** Its derivative, 0 on the flat side of each kink, the slope at 0 in the leaky case (TF's convention). */
    static double reluDerivative(double x, double slope, double max, double threshold) {
        if (slope != 0 && max == Double.POSITIVE_INFINITY && threshold == 0) {
            return x > 0 ? 1 : slope;
        }
        if (x < threshold) {
            return slope;
        }
        if (x == threshold) {
            return 0;
        }
        return max == Double.POSITIVE_INFINITY || (x > 0 && x < max) ? 1 : 0;
    }

    /** {slope, max_value (Inf: none), threshold}: plain, leaky, relu6, thresholded, all three. */
    private static final float[][] RELU_CASES = {
        {0f, Float.POSITIVE_INFINITY, 0f}, {0.3f, Float.POSITIVE_INFINITY, 0f}, {0f, 6f, 0f},
        {0f, Float.POSITIVE_INFINITY, 0.5f}, {0.2f, 1.5f, 0.25f}, {0.1f, 0f, 0f},
    };

    /** Random values with the kinks (0, the threshold, the max value) planted among them. */
    private float[] withKinks(int n, float max, float threshold) {
        float[] x = kit.normal(n, 2);
        for (int i = 0; i < n; i += 7) {
            x[i] = switch ((i / 7) % 3) {
                case 0 -> 0f;
                case 1 -> threshold;
                default -> Float.isFinite(max) ? max : 1f;
            };
        }
        return x;
    }

    @Test
    void reluLayerForwardAndBackwardWithEveryArgument() {
        for (float[] c : RELU_CASES) {
            float slope = c[0];
            float max = c[1];
            float threshold = c[2];
            for (int[] shape : BackendConformanceTest.SHAPES) {
                int n = shape[0] * shape[1];
                float[] x = withKinks(n, max, threshold);
                float[] dy = kit.normal(n, 1);
                double[] y = new double[n];
                double[] dx = new double[n];
                for (int i = 0; i < n; i++) {
                    y[i] = relu(x[i], slope, max, threshold);
                    dx[i] = dy[i] * reluDerivative(x[i], slope, max, threshold);
                }
                String what = "relu(slope " + slope + ", max " + max + ", threshold " + threshold + ") n=" + n;
                Slice xs = kit.f32(x);
                Slice ys = kit.f32Out(n);
                be().reluForward(xs, n, slope, max, threshold, ys);
                kit.assertClose(what + ": y", y, kit.get(ys), 4 * EPS, 1e-30);
                Slice dys = kit.f32(dy);
                Slice dxs = kit.f32Out(n);
                be().reluBackward(xs, dys, n, slope, max, threshold, dxs);
                kit.assertClose(what + ": dx", dx, kit.get(dxs), 4 * EPS, 1e-30);
                be().reluBackward(xs, dys, n, slope, max, threshold, dys); // in place
                kit.assertClose(what + ": dx in place", dx, kit.get(dys), 4 * EPS, 1e-30);
                be().reluForward(xs, n, slope, max, threshold, xs); // in place
                kit.assertClose(what + ": y in place", y, kit.get(xs), 4 * EPS, 1e-30);
            }
        }
    }

    @Test
    void preluForwardAndBackwardWithTheAlphaGradient() {
        for (int[] shape : BackendConformanceTest.SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            int n = rows * cols;
            float[] x = withKinks(n, 1f, 0f);
            float[] alpha = kit.normal(cols, 0.5);
            float[] dy = kit.normal(n, 1);
            double[] y = new double[n];
            double[] dx = new double[n];
            double[] dalpha = new double[cols];
            double[] absTerms = new double[cols];
            for (int i = 0; i < n; i++) {
                double a = alpha[i % cols];
                double v = x[i];
                // Keras: relu(x) - alpha * relu(-x)
                y[i] = Math.max(v, 0) - a * Math.max(-v, 0);
                dx[i] = dy[i] * (v > 0 ? 1 : v < 0 ? a : 0);
                dalpha[i % cols] += dy[i] * -Math.max(-v, 0);
                absTerms[i % cols] += Math.abs(dy[i] * Math.max(-v, 0));
            }
            String what = "prelu " + rows + "x" + cols;
            Slice xs = kit.f32(x);
            Slice as = kit.f32(alpha);
            Slice ys = kit.f32Out(n);
            be().preluForward(xs, as, rows, cols, ys);
            kit.assertClose(what + ": y", y, kit.get(ys), 4 * EPS, 1e-30);
            double[] tol = BackendConformanceTest.sumTolerance(absTerms, rows, 1e-30);
            for (int variant = 0; variant < 3; variant++) {
                String v = what + (variant == 0 ? "" : variant == 1 ? " without dx" : " with dx in place");
                Slice dys = kit.f32(dy);
                Slice dxs = variant == 0 ? kit.f32Out(n) : variant == 1 ? null : dys;
                Slice das = kit.f32Out(cols);
                be().preluBackward(xs, as, dys, rows, cols, dxs, das);
                kit.assertWithin(v + ": dalpha", dalpha, kit.get(das), tol);
                if (dxs != null) {
                    kit.assertClose(v + ": dx", dx, kit.get(dxs), 4 * EPS, 1e-30);
                }
            }
        }
    }

    @Test
    void featureAffineIsRescalingAndNormalization() {
        for (int[] shape : BackendConformanceTest.SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            int n = rows * cols;
            float[] x = kit.normal(n, 50);
            for (int period : new int[] {1, cols}) {
                float[] mean = kit.normal(period, 10);
                float[] var = kit.uniform(period, 0, 400);
                var[0] = 0f; // a constant feature: its deviation is floored at Keras's epsilon, 1e-7
                double[] norm = new double[n];
                double[] rescale = new double[n];
                double[] back = new double[n];
                for (int i = 0; i < n; i++) {
                    int f = (i % cols) % period;
                    double sd = Math.max(Math.sqrt(var[f]), 1e-7);
                    norm[i] = (x[i] - (double) mean[f]) / sd;
                    rescale[i] = x[i] * (double) (1f / 255) + 0.5;
                    back[i] = x[i] / sd * 2.0;
                }
                String what = "featureAffine " + rows + "x" + cols + " period " + period;
                Slice xs = kit.f32(x);
                Slice ms = kit.f32(mean);
                Slice vs = kit.f32(var);
                Slice ys = kit.f32Out(n);
                be().featureAffine(xs, rows, cols, ms, vs, period, 1f, 0f, ys);
                kit.assertClose(what + ": normalization", norm, kit.get(ys), 6 * EPS, 1e-30);
                be().featureAffine(xs, rows, cols, null, null, 1, 1f / 255, 0.5f, ys);
                kit.assertClose(what + ": rescaling", rescale, kit.get(ys), 4 * EPS, 1e-6);
                be().featureAffine(xs, rows, cols, null, vs, period, 2f, 0f, ys);
                kit.assertClose(what + ": no mean (the backward pass)", back, kit.get(ys), 6 * EPS, 1e-30);
                be().featureAffine(xs, rows, cols, ms, vs, period, 1f, 0f, xs); // in place
                kit.assertClose(what + ": in place", norm, kit.get(xs), 6 * EPS, 1e-30);
            }
        }
    }

    @Test
    void badArgumentsAreNamedWithTheirValue() {
        Slice x = kit.f32(kit.normal(6, 1));
        Slice y = kit.f32Out(6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be().reluForward(x, 6, 0f, -1f, 0f, y));
        assertTrue(e.getMessage().contains("reluForward") && e.getMessage().contains("maxValue -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> be().featureAffine(x, 2, 3, null, null, 2, 1f, 0f, y));
        assertTrue(e.getMessage().contains("cols = 3") && e.getMessage().contains("period = 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> be().preluForward(x, kit.f32(new float[2]), 2, 3, y));
        assertTrue(e.getMessage().contains("alpha has 2"), e.getMessage());
        // a partly overlapping in-place relu is refused
        assertThrows(IllegalArgumentException.class, () -> be().reluForward(x.slice(0, 4), 4, 0f,
                Float.POSITIVE_INFINITY, 0f, x.slice(1, 4)));
    }
}
