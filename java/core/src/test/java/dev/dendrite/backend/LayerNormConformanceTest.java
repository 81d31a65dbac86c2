package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The layer-normalisation family's conformance suite, run on every backend by a subclass: forward (output and the
 * saved row statistics) and backward (dx, dgamma, dbeta) against a float64 reference written here, at the op-set
 * suite's shapes, with and without gamma and beta; and the backward pass against central finite differences of
 * that float64 forward, for the input, gamma and beta.
 *
 * <p>Tolerances, in float32's unit roundoff EPS: the row statistics are sums of {@code cols} terms, so the mean is
 * within {@code 4 EPS sqrt(cols + 1)} of the row's mean absolute value (the op-set suite's sum rule), and
 * {@code 1 / sqrt(var + eps)} within {@code 8 EPS sqrt(cols + 1)} relative; y and dx inherit those relative errors
 * times the magnitude of their terms (|gamma| (|xhat| + mean|x| inv), and inv (|dyg| + sum|dyg| / n + |xhat|
 * sum|dyg xhat| / n)), plus a few roundings of the element's own arithmetic. dgamma and dbeta are column sums over
 * the rows, with the sum rule over rows plus xhat's error. A wrong formula (a missing term, gamma outside instead of
 * inside the row sums, the unbiased variance) is off by O(1/cols) of the terms or more, far beyond these.
 */
public abstract class LayerNormConformanceTest extends OpFamilyConformance {
    private static final int[][] SHAPES = BackendConformanceTest.SHAPES;

    /** The float64 reference: y, mean and inv per row, and xhat. */
    static final class Forward {
        final double[] y;
        final double[] mean;
        final double[] inv;
        final double[] xhat;
        final double[] meanAbs;

        Forward(double[] x, int rows, int cols, double[] gamma, double[] beta, double eps) {
            y = new double[rows * cols];
            xhat = new double[rows * cols];
            mean = new double[rows];
            inv = new double[rows];
            meanAbs = new double[rows];
            for (int r = 0; r < rows; r++) {
                double s = 0;
                double a = 0;
                for (int c = 0; c < cols; c++) {
                    s += x[r * cols + c];
                    a += Math.abs(x[r * cols + c]);
                }
                mean[r] = s / cols;
                meanAbs[r] = a / cols;
                double v = 0;
                for (int c = 0; c < cols; c++) {
                    double dd = x[r * cols + c] - mean[r];
                    v += dd * dd;
                }
                inv[r] = 1 / Math.sqrt(v / cols + eps);
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    xhat[i] = (x[i] - mean[r]) * inv[r];
                    y[i] = (gamma == null ? 1 : gamma[c]) * xhat[i] + (beta == null ? 0 : beta[c]);
                }
            }
        }
    }

    /** {@code sum y * w}: the scalar whose gradients the backward pass computes when dy = w. */
    private static double loss(double[] x, int rows, int cols, double[] gamma, double[] beta, double eps, double[] w) {
        double[] y = new Forward(x, rows, cols, gamma, beta, eps).y;
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += y[i] * w[i];
        }
        return s;
    }

    private float[] layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] mean,
                              float[] inv) {
        Slice y = f32Out(rows * cols);
        Slice m = f32Out(rows);
        Slice v = f32Out(rows);
        backend.layerNormForward(f32(x), rows, cols, gamma == null ? null : f32(gamma), beta == null ? null : f32(beta),
                eps, y, m, v);
        System.arraycopy(get(m), 0, mean, 0, rows);
        System.arraycopy(get(v), 0, inv, 0, rows);
        return get(y);
    }

    @Test
    void forwardAndBackwardAgainstFloat64() {
        for (int[] shape : SHAPES) {
            for (boolean affine : new boolean[] {true, false}) {
                check(shape[0], shape[1], affine, 0.5, 2);
            }
        }
        // A mean far from zero against a small spread: the two-pass variance must not cancel.
        check(17, 257, true, 1000, 1);
    }

    private void check(int rows, int cols, boolean affine, double offset, double spread) {
        String what = "layerNorm " + rows + "x" + cols + (affine ? " gamma/beta" : " plain") + " offset " + offset;
        int n = rows * cols;
        float[] x = normal(n, spread);
        for (int i = 0; i < n; i++) {
            x[i] += (float) offset;
        }
        float[] gamma = affine ? normal(cols, 1) : null;
        float[] beta = affine ? normal(cols, 1) : null;
        float eps = 1e-3f;
        double[] g64 = gamma == null ? null : d(gamma);
        Forward ref = new Forward(d(x), rows, cols, g64, beta == null ? null : d(beta), eps);
        double k = Math.sqrt(cols + 1.0);
        Slice xs = f32(x);
        Slice gs = gamma == null ? null : f32(gamma);
        Slice bs = beta == null ? null : f32(beta);
        Slice y = f32Out(n);
        Slice mean = f32Out(rows);
        Slice inv = f32Out(rows);
        backend.layerNormForward(xs, rows, cols, gs, bs, eps, y, mean, inv);
        double[] tolMean = new double[rows];
        double[] tolInv = new double[rows];
        for (int r = 0; r < rows; r++) {
            tolMean[r] = 4 * EPS * k * ref.meanAbs[r] + Double.MIN_NORMAL;
            tolInv[r] = 8 * EPS * k * ref.inv[r] * (1 + ref.meanAbs[r] * ref.inv[r] * 4 * EPS * k);
        }
        assertWithin(what + ": saveMean", ref.mean, get(mean), tolMean);
        assertWithin(what + ": saveInvStd", ref.inv, get(inv), tolInv);
        double[] tolY = new double[n];
        for (int i = 0; i < n; i++) {
            int r = i / cols;
            int c = i % cols;
            double g = gamma == null ? 1 : Math.abs(gamma[c]);
            double b = beta == null ? 0 : Math.abs(beta[c]);
            tolY[i] = g * (8 * EPS * k * (Math.abs(ref.xhat[i]) + 2 * ref.meanAbs[r] * ref.inv[r]) + 4 * EPS
                    * Math.abs(ref.xhat[i])) + 2 * EPS * b;
        }
        assertWithin(what + ": y", ref.y, get(y), tolY);

        float[] dy = normal(n, 1);
        Slice dx = f32Out(n);
        Slice dgamma = affine ? f32Out(cols) : null;
        Slice dbeta = affine ? f32Out(cols) : null;
        backend.layerNormBackward(xs, f32(dy), rows, cols, gs, mean, inv, dx, dgamma, dbeta);
        double[] wantDx = new double[n];
        double[] tolDx = new double[n];
        double[] wantDg = new double[cols];
        double[] wantDb = new double[cols];
        double[] absDg = new double[cols];
        double[] absDb = new double[cols];
        for (int r = 0; r < rows; r++) {
            double s1 = 0;
            double s2 = 0;
            double a1 = 0;
            double a2 = 0;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double dyg = dy[i] * (gamma == null ? 1 : gamma[c]);
                s1 += dyg;
                s2 += dyg * ref.xhat[i];
                a1 += Math.abs(dyg);
                a2 += Math.abs(dyg * ref.xhat[i]);
                wantDg[c] += dy[i] * ref.xhat[i];
                wantDb[c] += dy[i];
                absDg[c] += Math.abs(dy[i] * ref.xhat[i]);
                absDb[c] += Math.abs(dy[i]);
            }
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double dyg = dy[i] * (gamma == null ? 1 : gamma[c]);
                wantDx[i] = ref.inv[r] / cols * (cols * dyg - s1 - ref.xhat[i] * s2);
                double xhatErr = 8 * EPS * k * (Math.abs(ref.xhat[i]) + 2 * ref.meanAbs[r] * ref.inv[r]);
                tolDx[i] = 16 * EPS * k * ref.inv[r] * (Math.abs(dyg) + a1 / cols + (Math.abs(ref.xhat[i]) + xhatErr)
                        * a2 / cols) + ref.inv[r] * xhatErr * Math.abs(s2) / cols;
            }
        }
        assertWithin(what + ": dx", wantDx, get(dx), tolDx);
        if (affine) {
            double kr = Math.sqrt(rows + 1.0);
            double[] tolDg = new double[cols];
            double[] tolDb = sumTolerance(absDb, rows, 0);
            for (int c = 0; c < cols; c++) {
                // xhat's own error is relative ~8 EPS sqrt(cols + 1) of its terms, plus the offset's cancellation.
                double maxShift = 0;
                for (int r = 0; r < rows; r++) {
                    maxShift = Math.max(maxShift, 2 * ref.meanAbs[r] * ref.inv[r]);
                }
                tolDg[c] = 4 * EPS * kr * absDg[c] + 8 * EPS * k * (absDg[c] + maxShift * absDb[c]);
            }
            assertWithin(what + ": dgamma", wantDg, get(dgamma), tolDg);
            assertWithin(what + ": dbeta", wantDb, get(dbeta), tolDb);
        }
        // Parameter gradients alone (the first layer that trains): dx null.
        if (affine) {
            Slice dg2 = f32Out(cols);
            backend.layerNormBackward(xs, f32(dy), rows, cols, gs, mean, inv, null, dg2, null);
            assertEquals(java.util.Arrays.toString(get(dgamma)), java.util.Arrays.toString(get(dg2)),
                    what + ": dgamma without dx");
        }
    }

    /**
     * The backward pass against central differences (step 1e-4 on values of order 1) of the float64 forward's
     * {@code sum y * w}, with dy = w: for every input, gamma and beta element of small layers. The numeric side's
     * truncation error is about h^2 times the third derivative (1e-8 here) and its rounding 1e-16 / h; the analytic
     * side is float32 (about 1e-6 of its terms), so {@code 1e-4 + 1e-3 |numeric|} bounds correct gradients, while a
     * wrong term is off by O(1/cols) = 0.1 or more.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        for (int[] shape : new int[][] {{1, 5}, {4, 7}, {3, 2}}) {
            int rows = shape[0];
            int cols = shape[1];
            int n = rows * cols;
            float[] x = normal(n, 1.5);
            float[] gamma = normal(cols, 1);
            float[] beta = normal(cols, 1);
            float[] w = normal(n, 1);
            float eps = 1e-3f;
            Slice mean = f32Out(rows);
            Slice inv = f32Out(rows);
            Slice xs = f32(x);
            Slice gs = f32(gamma);
            backend.layerNormForward(xs, rows, cols, gs, f32(beta), eps, f32Out(n), mean, inv);
            Slice dx = f32Out(n);
            Slice dg = f32Out(cols);
            Slice db = f32Out(cols);
            backend.layerNormBackward(xs, f32(w), rows, cols, gs, mean, inv, dx, dg, db);
            float[] gotDx = get(dx);
            float[] gotDg = get(dg);
            float[] gotDb = get(db);
            double[] x64 = d(x);
            double[] g64 = d(gamma);
            double[] b64 = d(beta);
            double[] w64 = d(w);
            double h = 1e-4;
            String what = "finite differences " + rows + "x" + cols + " [seed " + seed + ", " + backend.name() + "]";
            for (double[][] target : new double[][][] {{x64}, {g64}, {b64}}) {
                double[] v = target[0];
                float[] got = v == x64 ? gotDx : v == g64 ? gotDg : gotDb;
                String name = v == x64 ? "dx" : v == g64 ? "dgamma" : "dbeta";
                for (int i = 0; i < v.length; i++) {
                    double keep = v[i];
                    v[i] = keep + h;
                    double up = loss(x64, rows, cols, g64, b64, eps, w64);
                    v[i] = keep - h;
                    double down = loss(x64, rows, cols, g64, b64, eps, w64);
                    v[i] = keep;
                    double numeric = (up - down) / (2 * h);
                    assertEquals(numeric, got[i], 1e-4 + 1e-3 * Math.abs(numeric), what + ": " + name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void theSameInTrainingAndInferenceAndWithoutGammaItIsPlainStandardisation() {
        int rows = 6;
        int cols = 33;
        float[] x = normal(rows * cols, 3);
        float[] ones = new float[cols];
        java.util.Arrays.fill(ones, 1f);
        float[] m1 = new float[rows];
        float[] v1 = new float[rows];
        float[] m2 = new float[rows];
        float[] v2 = new float[rows];
        float[] withOnes = layerNorm(x, rows, cols, ones, new float[cols], 1e-3f, m1, v1);
        float[] plain = layerNorm(x, rows, cols, null, null, 1e-3f, m2, v2);
        assertEquals(java.util.Arrays.toString(withOnes), java.util.Arrays.toString(plain),
                "gamma = 1, beta = 0 is the same as no gamma and beta");
        for (int r = 0; r < rows; r++) {
            double s = 0;
            double sq = 0;
            for (int c = 0; c < cols; c++) {
                s += plain[r * cols + c];
                sq += (double) plain[r * cols + c] * plain[r * cols + c];
            }
            double var = new Forward(d(x), rows, cols, null, null, 0).inv[r];
            var = 1 / (var * var);
            // Each row has mean 0 and variance var / (var + eps): just under 1.
            assertEquals(0, s / cols, 1e-5, "row " + r + " mean");
            assertEquals(var / (var + 1e-3), sq / cols, 1e-5, "row " + r + " variance");
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirValue() {
        Slice x = f32(new float[6]);
        Slice y = f32Out(6);
        Slice m = f32Out(2);
        Slice v = f32Out(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.layerNormForward(x, 2, 3, null, null, -1f, y, m, v));
        assertTrue(e.getMessage().contains("layerNormForward") && e.getMessage().contains("eps -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.layerNormForward(x, 2, 3, f32(new float[2]), null, 1e-3f, y, m, v));
        assertTrue(e.getMessage().contains("gamma has 2") && e.getMessage().contains("at least 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.layerNormForward(x, 2, 3, null, null, 1e-3f, y, f32Out(1), v));
        assertTrue(e.getMessage().contains("saveMean has 1") && e.getMessage().contains("rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.layerNormForward(x, 2, 3, null, null, 1e-3f, x, m, v));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.layerNormBackward(x, y, 2, 3, null, m, v, y, null, null));
        assertTrue(e.getMessage().contains("layerNormBackward") && e.getMessage().contains("dx"), e.getMessage());
    }
}
