package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@link Backend#mixup} on one backend (a subclass per backend), with fresh random inputs per run
 * ({@code -Ddendrite.seed=...} repeats one).
 *
 * <ul>
 *   <li>Against float64: the lambdas of a Marsaglia-Tsang Beta draw written here in double from the same Philox
 *       words, and the mixed batch from them. Tolerances: a lambda within 2e-5 (its log-Gamma terms reach about
 *       16.6 / alpha = 83 at alpha 0.2, whose float ulp is 7.6e-6, and dlam / d(log ratio) <= 1/4), a mixed value
 *       within 2e-5 times the largest difference of its two inputs plus 1e-6. Where an acceptance test lies within
 *       float rounding of its bound ({@link #ACCEPTANCE_TIE}), the float draw may decide it the other way than the
 *       double one (base seed 81449346085218 did, at row 25 of the dense case, on every backend): the reference then
 *       follows both outcomes, and the lambda must match one of them.
 *   <li>Against the CPU definition {@link Mixup#apply} run on the host: lambdas within 1e-6 (ulps of Java's and
 *       the device's log/exp apart), so mixed values within 1e-6 times their inputs' difference plus one rounding
 *       (an ulp of the value), the partner exactly.
 *   <li>The distribution: the mean and variance of 65,536 lambdas within 5 standard errors of Beta(alpha, alpha)'s
 *       1/2 and 1/(4(2 alpha + 1)) (the variance's error from the fourth moment, excess kurtosis -6/(2 alpha + 3)),
 *       and for alpha 1 and 1/2, where the CDF is simple (uniform; arcsine), a Kolmogorov-Smirnov distance below
 *       2.7 / sqrt(n) = 0.0105: a false alarm about once in a million runs (Kolmogorov's tail, 2 exp(-2 * 2.7^2)),
 *       where 1.95 / sqrt(16,384) = 0.0152 before raised one in a thousand (seed 5038368298972 did, on the cpu
 *       backend, at a KS distance of 0.0161), and still a tighter bound than that one.
 * </ul>
 */
public abstract class MixupConformanceTest extends OpFamilyConformance {
    /**
     * How near (relative to its terms' size) an acceptance test of a Gamma draw may lie to its bound and still be
     * decided either way by float rounding: the float terms carry a few ulps (6e-8 each) of error; 1e-5 leaves a wide
     * margin and opens a branch for about one draw in 1e5.
     */
    private static final double ACCEPTANCE_TIE = 1e-5;

    /**
     * The float64 reference lambdas, Marsaglia-Tsang on the words mixup.h reads, every operation in double, that a
     * float draw may give: one, unless an acceptance test of the draw lies
     * within {@code tie} (relative) of its bound, where float rounding may decide it either way; then both outcomes
     * are followed. {@code tie} 0 follows the double's decisions only.
     */
    static double[] referenceLambdas(long seed, int r, int step, int stream, double alpha, double tie) {
        List<Double> xs = referenceLogGammas(seed, r, step, stream, alpha, tie);
        List<Double> ys = referenceLogGammas(seed, r, step, stream + Mixup.ATTEMPTS, alpha, tie);
        double[] lambdas = new double[xs.size() * ys.size()];
        int i = 0;
        for (double lx : xs) {
            for (double ly : ys) {
                lambdas[i++] = 1 / (1 + Math.exp(ly - lx));
            }
        }
        return lambdas;
    }

    private static List<Double> referenceLogGammas(long seed, int r, int step, int stream, double alpha, double tie) {
        double shape = alpha < 1 ? alpha + 1 : alpha;
        double d = shape - 1.0 / 3;
        List<Double> results = new ArrayList<>();
        attempts(seed, r, step, stream, d, 1 / Math.sqrt(9 * d), 0, tie, results);
        if (alpha < 1) {
            int[] b = new int[4];
            Philox.block(seed, r, step, stream, b);
            double boost = Math.log(((b[3] >>> 8) + 1) / 16777216.0) / alpha;
            results.replaceAll(g -> g + boost);
        }
        return results;
    }

    /** Marsaglia-Tsang's attempts from {@code k} on, each outcome that {@code tie} leaves open followed. */
    private static void attempts(long seed, int r, int step, int stream, double d, double c, int k, double tie,
                                 List<Double> results) {
        if (k == Mixup.ATTEMPTS) {
            results.add(Math.log(d)); // mixup.h's fallback after the last rejection
            return;
        }
        int[] b = new int[4];
        Philox.block(seed, r, step, stream + k, b);
        double u1 = ((b[0] >>> 8) + 1) / 16777216.0;
        double u2 = (b[1] >>> 8) / 16777216.0;
        double z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        double u = ((b[2] >>> 8) + 1) / 16777216.0;
        double cz = 1 + c * z;
        double v = Math.pow(cz, 3);
        double lhs = Math.log(u);
        double rhs = cz > 0 ? z * z / 2 + d - d * v + d * Math.log(v) : Double.NaN;
        boolean accept = cz > 0 && lhs < rhs;
        double scale = 1 + Math.abs(lhs) + z * z / 2 + d + Math.abs(d * v) + (cz > 0 ? Math.abs(d * Math.log(v)) : 0);
        boolean open = Math.abs(cz) < tie || (cz > 0 && Math.abs(rhs - lhs) < tie * scale);
        if ((accept || open) && cz > 0) {
            results.add(Math.log(d * v));
        }
        if (!accept || open) {
            attempts(seed, r, step, stream, d, c, k + 1, tie, results);
        }
    }

    /** The candidate nearest {@code got}. */
    private static double nearest(double[] candidates, double got) {
        double best = candidates[0];
        for (double c : candidates) {
            if (Math.abs(c - got) < Math.abs(best - got)) {
                best = c;
            }
        }
        return best;
    }

    private record Run(float[] lambdas, float[] x, float[] y) {
    }

    private Run run(float[] x, int[] labels, float[] targets, int rows, int xWidth, int classes, float alpha,
                    long s, int step) {
        Slice lam = f32Out(rows);
        Slice xo = f32Out(rows * xWidth);
        Slice yo = f32Out(rows * classes);
        boolean sparse = labels != null;
        backend.mixup(f32(x), sparse ? i32(labels) : f32(targets), sparse, rows, xWidth, classes, alpha, s,
                Mixup.STREAM, i32(new int[] {step, 0}), lam, xo, yo);
        return new Run(get(lam), get(xo), get(yo));
    }

    private void checkAgainstReferences(boolean sparse, int rows, int xWidth, int classes, float alpha, int step) {
        long s = rnd.nextLong();
        float[] x = normal(rows * xWidth, 1);
        int[] labels = new int[rows];
        float[] targets = new float[rows * classes];
        for (int r = 0; r < rows; r++) {
            labels[r] = rnd.nextInt(classes);
            for (int c = 0; c < classes; c++) {
                targets[r * classes + c] = rnd.nextFloat();
            }
        }
        Run got = run(x, sparse ? labels : null, sparse ? null : targets, rows, xWidth, classes, alpha, s, step);
        float[] hostLam = new float[rows];
        float[] hostX = new float[rows * xWidth];
        float[] hostY = new float[rows * classes];
        Mixup.apply(x, 0, sparse ? labels : null, sparse ? null : targets, 0, rows, xWidth, classes, alpha, s, step,
                Mixup.STREAM, hostX, 0, hostY, 0, hostLam, 0, 0, rows);
        String where = " (rows " + rows + ", alpha " + alpha + ", step " + step + ", sparse " + sparse + ", seed "
                + seed + ")";
        for (int r = 0; r < rows; r++) {
            double lam = nearest(referenceLambdas(s, r, step, Mixup.STREAM, alpha, ACCEPTANCE_TIE), got.lambdas[r]);
            assertEquals(lam, got.lambdas[r], 2e-5, "lambda of row " + r + " against float64" + where);
            assertEquals(hostLam[r], got.lambdas[r], 1e-6, "lambda of row " + r + " against Mixup.apply" + where);
            int p = Mixup.partner(s, r, rows, step, Mixup.STREAM);
            for (int c = 0; c < xWidth; c++) {
                double a = x[r * xWidth + c];
                double b = x[p * xWidth + c];
                assertEquals(lam * a + (1 - lam) * b, got.x[r * xWidth + c], 2e-5 * Math.abs(a - b) + 1e-6,
                        "x'[" + r + "][" + c + "], partner " + p + where);
                assertEquals(hostX[r * xWidth + c], got.x[r * xWidth + c],
                        1e-6 * Math.abs(a - b) + Math.ulp(hostX[r * xWidth + c]),
                        "x'[" + r + "][" + c + "] against Mixup.apply" + where);
            }
            for (int c = 0; c < classes; c++) {
                double a = sparse ? (labels[r] == c ? 1 : 0) : targets[r * classes + c];
                double b = sparse ? (labels[p] == c ? 1 : 0) : targets[p * classes + c];
                assertEquals(lam * a + (1 - lam) * b, got.y[r * classes + c], 2e-5 * Math.abs(a - b) + 1e-6,
                        "y'[" + r + "][" + c + "], partner " + p + where);
            }
        }
    }

    @Test
    void sparseLabelsBecomeMixedOneHotRowsAsTheFloat64Reference() {
        checkAgainstReferences(true, 64, 37, 10, 0.2f, 0);
        checkAgainstReferences(true, 61, 5, 3, 1.0f, 12345);
        checkAgainstReferences(true, 128, 784, 10, 0.4f, rnd.nextInt(1 << 20));
    }

    @Test
    void denseTargetsMixAsTheFloat64Reference() {
        checkAgainstReferences(false, 50, 9, 4, 0.2f, 7);
        checkAgainstReferences(false, 33, 16, 2, 2.5f, rnd.nextInt(1 << 20));
    }

    @Test
    void oneRowMixesWithItselfAndNoRowsIsANoOp() {
        float[] x = normal(6, 1);
        Run one = run(x, new int[] {2}, null, 1, 6, 4, 0.3f, 99, 5);
        assertArrayEquals(x, one.x, 0f, "a lone sample is its own partner: x' = x exactly");
        assertArrayEquals(new float[] {0, 0, 1, 0}, one.y, 0f);
        backend.mixup(f32(new float[1]), i32(new int[1]), true, 0, 1, 2, 0.3f, 1, Mixup.STREAM,
                i32(new int[] {0, 0}), f32Out(1), f32Out(1), f32Out(2));
    }

    @Test
    void theSameSeedAndStepRepeatAndANewStepDrawsAnew() {
        int rows = 32;
        float[] x = normal(rows * 3, 1);
        int[] labels = new int[rows];
        long s = rnd.nextLong();
        Run a = run(x, labels, null, rows, 3, 2, 0.5f, s, 40);
        Run b = run(x, labels, null, rows, 3, 2, 0.5f, s, 40);
        Run c = run(x, labels, null, rows, 3, 2, 0.5f, s, 41);
        assertArrayEquals(a.lambdas, b.lambdas, 0f);
        assertArrayEquals(a.x, b.x, 0f);
        assertNotEquals(a.lambdas[0], c.lambdas[0], "step 41 drew the lambdas of step 40 (seed " + seed + ")");
        int[] p40 = new int[rows];
        int[] p41 = new int[rows];
        for (int r = 0; r < rows; r++) {
            p40[r] = Mixup.partner(s, r, rows, 40, Mixup.STREAM);
            p41[r] = Mixup.partner(s, r, rows, 41, Mixup.STREAM);
        }
        assertTrue(!java.util.Arrays.equals(p40, p41) || !java.util.Arrays.equals(p40,
                partners(s, rows, 42)), "the partners did not change over three steps");
    }

    private static int[] partners(long s, int rows, int step) {
        int[] p = new int[rows];
        for (int r = 0; r < rows; r++) {
            p[r] = Mixup.partner(s, r, rows, step, Mixup.STREAM);
        }
        return p;
    }

    @Test
    void partnersArePermutationsOfTheBatch() {
        for (int n : new int[] {1, 2, 3, 7, 12, 64, 97, 128, 1000}) {
            for (int step = 0; step < 20; step++) {
                int[] p = partners(rnd.nextLong(), n, step);
                boolean[] seen = new boolean[n];
                for (int r = 0; r < n; r++) {
                    assertTrue(p[r] >= 0 && p[r] < n && !seen[p[r]], "batch " + n + ": partner " + p[r] + " of row "
                            + r + " out of range or repeated (seed " + seed + ")");
                    seen[p[r]] = true;
                }
            }
        }
    }

    @Test
    void lambdasFollowBetaAlphaAlpha() {
        int rows = 4096;
        // Both ends of the accepted range too: no NaN at the smallest alpha, no bias in the variance at the largest.
        for (float alpha : new float[] {0.2f, 0.5f, 1f, 2f, 1e-3f, OpChecks.MIXUP_MIN_ALPHA,
                OpChecks.MIXUP_MAX_ALPHA}) {
            long s = rnd.nextLong();
            int steps = 16;
            int n = steps * rows;
            double[] lam = new double[n];
            for (int step = 0; step < steps; step++) {
                Run got = run(new float[rows], new int[rows], null, rows, 1, 2, alpha, s, step * 977);
                for (int r = 0; r < rows; r++) {
                    lam[step * rows + r] = got.lambdas[r];
                }
            }
            double mean = 0;
            for (double v : lam) {
                assertTrue(v >= 0 && v <= 1, "lambda " + v + " outside [0, 1] at alpha " + alpha);
                mean += v;
            }
            mean /= n;
            double var = 0;
            for (double v : lam) {
                var += (v - mean) * (v - mean);
            }
            var /= n - 1;
            double wantVar = 1 / (4 * (2.0 * alpha + 1));
            double mu4 = wantVar * wantVar * (3 - 6 / (2.0 * alpha + 3));
            String where = " at alpha " + alpha + " over " + n + " draws (seed " + seed + ")";
            assertEquals(0.5, mean, 5 * Math.sqrt(wantVar / n), "mean" + where);
            // Var(s^2) = (mu4 - sigma^4 (n - 3) / (n - 1)) / n, exactly; its leading term vanishes as alpha -> 0
            // (lambda becomes a fair coin, mu4 = sigma^4), so the second one matters there.
            double varOfVar = (mu4 - wantVar * wantVar * (n - 3.0) / (n - 1)) / n;
            assertEquals(wantVar, var, 5 * Math.sqrt(varOfVar), "variance" + where);
            if (alpha == 1f || alpha == 0.5f) {
                java.util.Arrays.sort(lam);
                double ks = 0;
                for (int i = 0; i < n; i++) {
                    double cdf = alpha == 1f ? lam[i] : 2 / Math.PI * Math.asin(Math.sqrt(lam[i]));
                    ks = Math.max(ks, Math.max(Math.abs(cdf - (double) i / n), Math.abs((i + 1.0) / n - cdf)));
                }
                assertTrue(ks < 2.7 / Math.sqrt(n), "Kolmogorov-Smirnov distance " + ks + where);
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirValues() {
        Slice x = f32(new float[8]);
        Slice labels = i32(new int[4]);
        Slice counters = i32(new int[] {0, 0});
        for (float alpha : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, 1e-9f, 2e4f}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.mixup(x, labels,
                    true, 4, 2, 3, alpha, 1, Mixup.STREAM, counters, f32Out(4), f32Out(8), f32Out(12)));
            assertTrue(e.getMessage().contains("alpha = " + (double) alpha), e.getMessage());
        }
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> backend.mixup(x,
                f32(new float[4]), true, 4, 2, 3, 0.2f, 1, Mixup.STREAM, counters, f32Out(4), f32Out(8),
                f32Out(12)));
        assertTrue(dtype.getMessage().contains("y is F32; expected I32"), dtype.getMessage());
        Slice out = f32Out(8);
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class, () -> backend.mixup(out,
                labels, true, 4, 2, 3, 0.2f, 1, Mixup.STREAM, counters, f32Out(4), out, f32Out(12)));
        assertTrue(overlap.getMessage().contains("xOut"), overlap.getMessage());
        assertThrows(IllegalArgumentException.class, () -> backend.mixup(x, labels, true, 4, 2, 3, 0.2f, 1,
                Mixup.STREAM, counters, f32Out(4), f32Out(8), f32Out(11)));
    }
}
