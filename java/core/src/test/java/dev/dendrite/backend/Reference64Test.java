package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.ToDoubleFunction;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Checks the float64 reference itself, so that the conformance suite measures backends against something
 * known to be right: analytic gradients against central finite differences, and special functions and
 * optimizers against values known independently.
 *
 * <p>Finite differences: {@code (f(x + h) - f(x - h)) / 2h} with {@code h = 1e-6} has truncation error
 * {@code h^2 |f'''| / 6 ~ 1e-13} and rounding error {@code ~ 1e-16 |f| / h ~ 1e-10 |f|}, so for the O(1..100)
 * values used here a tolerance of {@code 1e-6 * max(1, |g|)} is three orders above the noise and still far
 * below any real formula mistake (a dropped factor or term changes the gradient by O(1e-2) or more).
 * Inputs stay at least 1e-3 away from kinks (relu, leaky, elu, selu at 0; |w| at 0).
 */
class Reference64Test {
    private static final double H = 1e-6;
    private static final double FD_TOL = 1e-6;

    private long seed;
    private Random rnd;

    @BeforeEach
    void seed(TestInfo info) {
        seed = Long.getLong("dendrite.seed", System.nanoTime()) ^ info.getDisplayName().hashCode();
        rnd = new Random(seed);
        System.out.println(getClass().getSimpleName() + "." + info.getDisplayName() + " seed " + seed);
    }

    // ------------------------------------------------------------------ helpers

    /** Central-difference gradient of {@code f} at {@code x}. */
    private static double[] numericGradient(ToDoubleFunction<double[]> f, double[] x) {
        double[] g = new double[x.length];
        double[] xp = x.clone();
        for (int i = 0; i < x.length; i++) {
            double old = xp[i];
            xp[i] = old + H;
            double up = f.applyAsDouble(xp);
            xp[i] = old - H;
            double down = f.applyAsDouble(xp);
            xp[i] = old;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    private void assertGradient(String what, double[] analytic, double[] numeric) {
        assertEquals(numeric.length, analytic.length, what + ": length");
        for (int i = 0; i < analytic.length; i++) {
            double tol = FD_TOL * Math.max(1, Math.abs(numeric[i]));
            assertEquals(numeric[i], analytic[i], tol, what + ": element " + i + " (seed " + seed + ")");
        }
    }

    private double[] normal(int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextGaussian() * scale;
        }
        return x;
    }

    /** Normal values pushed at least {@code gap} away from 0. */
    private double[] awayFromZero(int n, double scale, double gap) {
        double[] x = normal(n, scale);
        for (int i = 0; i < n; i++) {
            if (Math.abs(x[i]) < gap) {
                x[i] = x[i] < 0 ? -gap - rnd.nextDouble() : gap + rnd.nextDouble();
            }
        }
        return x;
    }

    /** Where some activation's derivative jumps: 0, the shrinks' +-0.5, hard_tanh's +-1, hard_sigmoid's +-3, 6. */
    private static final double[] KINKS = {0, 0.5, -0.5, 1, -1, 3, -3, 6};

    /** Normal values at least {@code gap} away from every kink, so that a central difference spans none. */
    private double[] awayFromKinks(int n, double scale, double gap) {
        double[] x = normal(n, scale);
        for (int i = 0; i < n; i++) {
            while (nearKink(x[i], gap)) {
                x[i] = rnd.nextGaussian() * scale;
            }
        }
        return x;
    }

    private static boolean nearKink(double x, double gap) {
        for (double k : KINKS) {
            if (Math.abs(x - k) < gap) {
                return true;
            }
        }
        return false;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    // ------------------------------------------------------------------ special functions

    @Test
    void erfMatchesKnownValues() {
        // Values of erf / erfc to 16 digits (standard tables; e.g. Abramowitz & Stegun table 7.1, extended).
        double[][] known = {
            {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1.0, 0.8427007929497149},
            {1.5, 0.9661051464753108}, {2.0, 0.9953222650189527}, {2.5, 0.9995930479825550},
            {3.0, 0.9999779095030014},
        };
        for (double[] k : known) {
            assertEquals(k[1], Reference64.erf(k[0]), 1e-15, "erf(" + k[0] + ")");
            assertEquals(-k[1], Reference64.erf(-k[0]), 1e-15, "erf(" + -k[0] + ")");
        }
        // Tails, relative: erfc(3) = 2.209049699858544e-05, erfc(5) = 1.5374597944280349e-12,
        // erfc(10) = 2.088487583762545e-45.
        assertEquals(1, Reference64.erfc(3) / 2.209049699858544e-05, 1e-13);
        assertEquals(1, Reference64.erfc(5) / 1.5374597944280349e-12, 1e-13);
        assertEquals(1, Reference64.erfc(10) / 2.088487583762545e-45, 1e-13);
        // The two branches meet continuously at 2.5.
        assertEquals(Reference64.erf(2.5 - 1e-12), Reference64.erf(2.5), 1e-14);
        assertEquals(0.8413447460685429, Reference64.phi(1), 1e-15);
        assertEquals(1, Reference64.phi(-3) / 1.3498980316300946e-03, 1e-14, "left tail, relative");
    }

    @Test
    void activationValuesMatchKnownPoints() {
        double a = 0.2;
        assertEquals(0.7310585786300049, Reference64.activation(ActivationFunction.SIGMOID, a, 1), 1e-15);
        assertEquals(0, Reference64.activation(ActivationFunction.SIGMOID, a, -1000), 0);
        assertEquals(1, Reference64.activation(ActivationFunction.SIGMOID, a, 1000), 0);
        assertEquals(0.8413447460685429, Reference64.activation(ActivationFunction.GELU, a, 1), 1e-15);
        assertEquals(-0.15865525393145707, Reference64.activation(ActivationFunction.GELU, a, -1), 1e-15);
        assertEquals(-1.1113307378125625, Reference64.activation(ActivationFunction.SELU, a, -1), 1e-15);
        assertEquals(2 * 1.0507009873554805, Reference64.activation(ActivationFunction.SELU, a, 2), 1e-15);
        assertEquals(0.5 * (Math.exp(-2) - 1), Reference64.activation(ActivationFunction.ELU, 0.5, -2), 1e-15);
        assertEquals(-0.6, Reference64.activation(ActivationFunction.LEAKY_RELU, 0.2, -3), 1e-15);
        assertEquals(0.7310585786300049, Reference64.activation(ActivationFunction.SWISH, a, 1), 1e-15);
        assertEquals(0, Reference64.activation(ActivationFunction.RELU, a, -2), 0);
        // Keras 3's other activations, at points whose values are known in closed form.
        assertEquals(Math.log(2), Reference64.activation(ActivationFunction.SOFTPLUS, a, 0), 1e-15);
        assertEquals(-Math.log(2), Reference64.activation(ActivationFunction.LOG_SIGMOID, a, 0), 1e-15);
        assertEquals(-1000, Reference64.activation(ActivationFunction.LOG_SIGMOID, a, -1000), 1e-12);
        assertEquals(0.5, Reference64.activation(ActivationFunction.SOFTSIGN, a, 1), 1e-15);
        assertEquals(6, Reference64.activation(ActivationFunction.RELU6, a, 7), 0);
        assertEquals(0.5, Reference64.activation(ActivationFunction.HARD_SIGMOID, a, 0), 0);
        assertEquals(2.0 / 3, Reference64.activation(ActivationFunction.HARD_SILU, a, 1), 1e-15);
        // mish(1) = tanh(log(1 + e)) = ((1 + e)^2 - 1) / ((1 + e)^2 + 1)
        double q = (1 + Math.E) * (1 + Math.E);
        assertEquals((q - 1) / (q + 1), Reference64.activation(ActivationFunction.MISH, a, 1), 1e-15);
        assertEquals(Math.E, Reference64.activation(ActivationFunction.EXPONENTIAL, a, 1), 1e-15);
        assertEquals(Math.exp(-1) - 1, Reference64.activation(ActivationFunction.CELU, a, -1), 1e-15);
        // 0.5 - tanh(0.5), and near 0 the series' x^3 / 3 - 2 x^5 / 15 + 17 x^7 / 315
        assertEquals(0.03788284273999024, Reference64.activation(ActivationFunction.TANH_SHRINK, a, 0.5), 1e-16);
        assertEquals(1e-9 / 3 - 2e-15 / 15 + 17e-21 / 315,
                Reference64.activation(ActivationFunction.TANH_SHRINK, a, 1e-3), 1e-24);
        assertEquals(-1, Reference64.activation(ActivationFunction.HARD_TANH, a, -2), 0);
        assertEquals(-0.25, Reference64.activation(ActivationFunction.SOFT_SHRINK, a, -0.75), 0);
        assertEquals(0, Reference64.activation(ActivationFunction.HARD_SHRINK, a, 0.4), 0);
        assertEquals(0.25, Reference64.activation(ActivationFunction.SPARSE_PLUS, a, 0), 0);
        assertEquals(0.75, Reference64.activation(ActivationFunction.SPARSE_SIGMOID, a, 0.5), 0);
        assertEquals(1, Reference64.activation(ActivationFunction.SQUAREPLUS, a, 0), 0);
        assertEquals(2, Reference64.activation(ActivationFunction.SQUAREPLUS, a, 1.5), 1e-15); // (1.5 + 2.5) / 2
    }

    // ------------------------------------------------------------------ activations

    @Test
    void elementWiseActivationDerivativesMatchFiniteDifferences() {
        for (ActivationFunction f : ActivationFunction.values()) {
            if (f == ActivationFunction.SOFTMAX) {
                continue;
            }
            for (double alpha : new double[] {0.2, 1.0, 0.7}) {
                double[] x = awayFromKinks(200, 3, 1e-3);
                for (int i = 0; i < x.length; i++) {
                    double xi = x[i];
                    double numeric = (Reference64.activation(f, alpha, xi + H)
                            - Reference64.activation(f, alpha, xi - H)) / (2 * H);
                    double analytic = Reference64.activationDerivative(f, alpha, xi);
                    assertEquals(numeric, analytic, FD_TOL * Math.max(1, Math.abs(numeric)),
                            f + " alpha " + alpha + " at x = " + xi + " (seed " + seed + ")");
                }
            }
        }
    }

    @Test
    void activationBackwardIsTheGradientOfTheDotProduct() {
        // d/dz sum(dy * f(z)) must equal activationBackward(z, f(z), dy), softmax's Jacobian included.
        int rows = 4;
        int cols = 6;
        for (ActivationFunction f : ActivationFunction.values()) {
            double alpha = f.defaultAlpha() == 0 ? 0.3 : f.defaultAlpha();
            double[] z = awayFromKinks(rows * cols, 2, 1e-3);
            double[] dy = normal(rows * cols, 1);
            double[] y = Reference64.activationForward(f, alpha, z, rows, cols);
            double[] analytic = Reference64.activationBackward(f, alpha, z, y, dy, rows, cols);
            double[] numeric = numericGradient(
                    zz -> dot(dy, Reference64.activationForward(f, alpha, zz, rows, cols)), z);
            assertGradient(f.toString(), analytic, numeric);
        }
    }

    @Test
    void softmaxRowsSumToOneAndSurviveExtremeLogits() {
        double[] z = {1e4, -1e4, 0, 1e4, 1e4, -3};
        double[] y = Reference64.softmax(z, 2, 3);
        assertArrayEquals(new double[] {1, 0, 0, 0.5, 0.5, 0}, y, 1e-300);
        double[] r = normal(5 * 7, 4);
        double[] p = Reference64.softmax(r, 5, 7);
        for (int row = 0; row < 5; row++) {
            double s = 0;
            for (int c = 0; c < 7; c++) {
                s += p[row * 7 + c];
            }
            assertEquals(1, s, 1e-14);
        }
    }

    // ------------------------------------------------------------------ losses

    @Test
    void sparseSoftmaxCrossEntropyGradient() {
        int rows = 5;
        int cols = 4;
        double[] z = normal(rows * cols, 3);
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = rnd.nextInt(cols);
        }
        Reference64.LossResult res = Reference64.softmaxCrossEntropy(z, labels, rows, cols);
        double[] numeric = numericGradient(zz -> Reference64.softmaxCrossEntropy(zz, labels, rows, cols).loss, z);
        assertGradient("sparse softmax CE", res.grad, numeric);
        // Loss is -log p[label], independently.
        double expected = 0;
        for (int r = 0; r < rows; r++) {
            expected -= Math.log(res.probs[r * cols + labels[r]]);
        }
        assertEquals(expected, res.loss, 1e-12 * Math.max(1, expected));
    }

    @Test
    void denseSoftmaxCrossEntropyGradient() {
        int rows = 5;
        int cols = 4;
        double[] z = normal(rows * cols, 3);
        // p - t is the gradient only when each target row sums to 1: use softmax of random numbers.
        double[] t = Reference64.softmax(normal(rows * cols, 1), rows, cols);
        Reference64.LossResult res = Reference64.softmaxCrossEntropy(z, t, rows, cols);
        double[] numeric = numericGradient(zz -> Reference64.softmaxCrossEntropy(zz, t, rows, cols).loss, z);
        assertGradient("dense softmax CE", res.grad, numeric);
    }

    @Test
    void classWeightedLossesHaveTheirGradients() {
        int rows = 6;
        int cols = 4;
        double[] z = normal(rows * cols, 3);
        double[] t = Reference64.softmax(normal(rows * cols, 1), rows, cols);
        double[] cw = {0.5, 2, 0, 3.25};
        double[] w = Reference64.rowWeights(t, rows, cols, cw);
        Reference64.LossResult res = Reference64.classWeighted(Reference64.softmaxCrossEntropy(z, t, rows, cols), w,
                cols);
        double[] numeric = numericGradient(zz -> Reference64.classWeighted(
                Reference64.softmaxCrossEntropy(zz, t, rows, cols), w, cols).loss, z);
        assertGradient("class-weighted softmax CE", res.grad, numeric);
        // One output: the class is the target rounded half to even (0.5 is class 0, as numpy's round).
        double[] zb = normal(rows, 2);
        double[] tb = {0, 1, 0.5, 0.51, 0.49, 1};
        double[] wb = Reference64.binaryRowWeights(tb, new double[] {0.25, 4});
        assertArrayEquals(new double[] {0.25, 4, 0.25, 4, 0.25, 4}, wb, 0);
        Reference64.LossResult bin = Reference64.classWeighted(Reference64.sigmoidCrossEntropy(zb, tb, rows, 1), wb,
                1);
        double[] numericB = numericGradient(zz -> Reference64.classWeighted(
                Reference64.sigmoidCrossEntropy(zz, tb, rows, 1), wb, 1).loss, zb);
        assertGradient("class-weighted sigmoid BCE", bin.grad, numericB);
    }

    @Test
    void softmaxCrossEntropyExtremeLogitsAndTies() {
        double[] z = {1e4, -1e4, 0, 5, 5, 5};
        Reference64.LossResult res = Reference64.softmaxCrossEntropy(z, new int[] {1, 2}, 2, 3);
        assertEquals(2e4 + Math.log(3), res.loss, 1e-9);
        assertEquals(0, res.accuracy, 0, "row 0 predicts class 0; row 1 ties to the first index, 0");
        Reference64.LossResult hit = Reference64.softmaxCrossEntropy(z, new int[] {0, 0}, 2, 3);
        assertEquals(2, hit.accuracy, 0);
    }

    @Test
    void sigmoidCrossEntropyGradientAndStableForm() {
        int rows = 4;
        int cols = 5;
        double[] z = normal(rows * cols, 3);
        double[] t = new double[rows * cols];
        for (int i = 0; i < t.length; i++) {
            t[i] = rnd.nextDouble();
        }
        Reference64.LossResult res = Reference64.sigmoidCrossEntropy(z, t, rows, cols);
        double[] numeric = numericGradient(zz -> Reference64.sigmoidCrossEntropy(zz, t, rows, cols).loss, z);
        assertGradient("sigmoid BCE", res.grad, numeric);
        // Against the naive formula where it is safe (moderate logits).
        double naive = 0;
        for (int r = 0; r < rows; r++) {
            double l = 0;
            for (int c = 0; c < cols; c++) {
                double p = 1 / (1 + Math.exp(-z[r * cols + c]));
                l -= t[r * cols + c] * Math.log(p) + (1 - t[r * cols + c]) * Math.log(1 - p);
            }
            naive += l / cols;
        }
        assertEquals(naive, res.loss, 1e-10 * Math.max(1, naive));
        // Extreme logits stay finite: z = 1e4 with t = 0 costs 1e4.
        assertEquals(1e4, Reference64.sigmoidCrossEntropy(new double[] {1e4}, new double[] {0}, 1, 1).loss, 1e-9);
    }

    @Test
    void meanSquaredErrorGradient() {
        int rows = 3;
        int cols = 4;
        double[] p = normal(rows * cols, 2);
        double[] t = normal(rows * cols, 2);
        Reference64.LossResult res = Reference64.meanSquaredError(p, t, rows, cols);
        double[] numeric = numericGradient(pp -> Reference64.meanSquaredError(pp, t, rows, cols).loss, p);
        assertGradient("MSE", res.grad, numeric);
    }

    @Test
    void absoluteErrorAndHuberGradients() {
        int rows = 3;
        int cols = 4;
        double[] p = normal(rows * cols, 2);
        double[] t = normal(rows * cols, 2);
        for (int i = 0; i < p.length; i++) { // away from the kinks at d = 0 and |d| = delta (1), for the differences
            double d = p[i] - t[i];
            if (Math.abs(d) < 0.05 || Math.abs(Math.abs(d) - 1) < 0.05) {
                p[i] += 0.2;
            }
        }
        for (boolean huber : new boolean[] {false, true}) {
            Reference64.LossResult res = Reference64.regressionLoss(p, t, rows, cols, huber, 1.0);
            double[] numeric = numericGradient(pp -> Reference64.regressionLoss(pp, t, rows, cols, huber, 1.0).loss, p);
            assertGradient(huber ? "Huber" : "MAE", res.grad, numeric);
        }
        // Huber is half the squared error inside delta and linear outside: at d = 3, delta = 1: 3 - 0.5.
        assertEquals(2.5, Reference64.regressionLoss(new double[] {3}, new double[] {0}, 1, 1, true, 1).loss, 1e-15);
        assertEquals(0.125, Reference64.regressionLoss(new double[] {0.5}, new double[] {0}, 1, 1, true, 1).loss,
                1e-15);
    }

    // ------------------------------------------------------------------ batch norm

    @Test
    void batchNormBackwardMatchesFiniteDifferences() {
        int rows = 6;
        int cols = 3;
        double eps = 1e-3;
        double[] x = normal(rows * cols, 1.5);
        double[] gamma = normal(cols, 1);
        double[] beta = normal(cols, 1);
        double[] w = normal(rows * cols, 1); // dy: L = sum(w * y)
        double[] zeros = new double[cols];
        Reference64.BatchNorm fwd = Reference64.batchNormTraining(x, rows, cols, gamma, beta, eps, 0.9, zeros,
                zeros);
        Reference64.BatchNormGrads grads = Reference64.batchNormBackward(x, w, rows, cols, gamma, fwd.mean,
                fwd.invStd);
        assertGradient("batchnorm dx", grads.dx, numericGradient(xx -> dot(w,
                Reference64.batchNormTraining(xx, rows, cols, gamma, beta, eps, 0.9, zeros, zeros).y), x));
        assertGradient("batchnorm dgamma", grads.dgamma, numericGradient(gg -> dot(w,
                Reference64.batchNormTraining(x, rows, cols, gg, beta, eps, 0.9, zeros, zeros).y), gamma));
        assertGradient("batchnorm dbeta", grads.dbeta, numericGradient(bb -> dot(w,
                Reference64.batchNormTraining(x, rows, cols, gamma, bb, eps, 0.9, zeros, zeros).y), beta));
        // Null gamma behaves as ones.
        double[] ones = {1, 1, 1};
        Reference64.BatchNormGrads g1 = Reference64.batchNormBackward(x, w, rows, cols, null, fwd.mean, fwd.invStd);
        Reference64.BatchNormGrads g2 = Reference64.batchNormBackward(x, w, rows, cols, ones, fwd.mean, fwd.invStd);
        assertArrayEquals(g2.dx, g1.dx, 0);
    }

    @Test
    void batchNormTrainingNormalisesAndUpdatesRunningStatistics() {
        int rows = 50;
        int cols = 4;
        double[] x = normal(rows * cols, 3);
        Reference64.BatchNorm bn = Reference64.batchNormTraining(x, rows, cols, null, null, 0, 0.25,
                new double[] {1, 2, 3, 4}, new double[] {1, 1, 1, 1});
        for (int c = 0; c < cols; c++) {
            double s = 0;
            double q = 0;
            for (int r = 0; r < rows; r++) {
                s += bn.y[r * cols + c];
                q += bn.y[r * cols + c] * bn.y[r * cols + c];
            }
            assertEquals(0, s / rows, 1e-12, "normalised mean");
            assertEquals(1, q / rows, 1e-12, "normalised biased variance");
            double var = 1 / (bn.invStd[c] * bn.invStd[c]);
            assertEquals(0.25 * (c + 1) + 0.75 * bn.mean[c], bn.runningMean[c], 1e-12);
            assertEquals(0.25 + 0.75 * var, bn.runningVar[c], 1e-12);
        }
    }

    // ------------------------------------------------------------------ regularisation and dropout

    @Test
    void regularizerGradientIsThePenaltysGradient() {
        double[] w = awayFromZero(30, 1, 1e-3);
        for (double[] l : new double[][] {{0.01, 0}, {0, 0.02}, {0.03, 0.05}}) {
            double[] analytic = Reference64.regularizerGradient(w, l[0], l[1]);
            double[] numeric = numericGradient(ww -> Reference64.regularizerPenalty(ww, l[0], l[1]), w);
            assertGradient("regularizer l1=" + l[0] + " l2=" + l[1], analytic, numeric);
        }
        assertEquals(0, Reference64.regularizerGradient(new double[] {0}, 0.5, 0.5)[0], 0, "sign(0) = 0");
    }

    @Test
    void dropoutBackwardIsTheAdjointOfTheForward() {
        int n = 200;
        double rate = 0.4;
        long s = rnd.nextLong();
        boolean[] keep = Reference64.dropoutMask(n, rate, s, 3, 17);
        double[] x = normal(n, 1);
        double[] dy = normal(n, 1);
        double[] dx = Reference64.dropout(dy, keep, rate);
        // The forward is linear, so its gradient of sum(dy * y) is the backward applied to dy...
        assertGradient("dropout", dx, numericGradient(xx -> dot(dy, Reference64.dropout(xx, keep, rate)), x));
        // ... and <y, dy> = <x, dx> (adjoint identity).
        assertEquals(dot(Reference64.dropout(x, keep, rate), dy), dot(x, dx), 1e-12);
        // The mask is a pure function of its coordinates, and another step gives another mask.
        assertArrayEquals(keep, Reference64.dropoutMask(n, rate, s, 3, 17));
        assertTrue(!Arrays.equals(keep, Reference64.dropoutMask(n, rate, s, 3, 18)), "step changes the mask");
    }

    // ------------------------------------------------------------------ gemm, optimizers, permutation

    @Test
    void gemmHandWorkedExample() {
        // A = [[1, 2, 3], [4, 5, 6]] (2x3), B = [[1, 0], [0, 1], [1, 1]] (3x2): A B = [[4, 5], [10, 11]].
        double[] a = {1, 2, 3, 4, 5, 6};
        double[] aT = {1, 4, 2, 5, 3, 6};
        double[] b = {1, 0, 0, 1, 1, 1};
        double[] bT = {1, 0, 1, 0, 1, 1};
        double[] c = {1, 1, 1, 1};
        double[] expected = {2 * 4 + 3, 2 * 5 + 3, 2 * 10 + 3, 2 * 11 + 3};
        assertArrayEquals(expected, Reference64.gemm(false, false, 2, 2, 3, 2, a, b, 3, c), 0);
        assertArrayEquals(expected, Reference64.gemm(true, false, 2, 2, 3, 2, aT, b, 3, c), 0);
        assertArrayEquals(expected, Reference64.gemm(false, true, 2, 2, 3, 2, a, bT, 3, c), 0);
        assertArrayEquals(expected, Reference64.gemm(true, true, 2, 2, 3, 2, aT, bT, 3, c), 0);
        double[] nan = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
        assertArrayEquals(new double[] {4, 5, 10, 11}, Reference64.gemm(false, false, 2, 2, 3, 1, a, b, 0, nan), 0);
    }

    @Test
    void optimizersFirstStepsByHand() {
        // SGD with momentum 0.9, lr 0.1, g = 1 twice: v = -0.1, -0.19; p = 1 - 0.1 - 0.19.
        double[] p = {1};
        double[] v = {0};
        Reference64.sgd(p, new double[] {1}, v, 0.1, 0.9, false);
        Reference64.sgd(p, new double[] {1}, v, 0.1, 0.9, false);
        assertEquals(0.71, p[0], 1e-15);
        // Nesterov: p += 0.9 v - 0.1 g: first step v = -0.1, p = 1 - 0.09 - 0.1.
        double[] pn = {1};
        Reference64.sgd(pn, new double[] {1}, new double[] {0}, 0.1, 0.9, true);
        assertEquals(0.81, pn[0], 1e-15);
        // Adam's first step is lr * g / (|g| + eps / sqrt(1 - beta2)), i.e. about lr * sign(g).
        double[] pa = {0.5, 0.5};
        Reference64.adam(pa, new double[] {3, -0.02}, new double[2], new double[2], null, 0.01, 1, 0.9, 0.999, 1e-7);
        assertEquals(0.5 - 0.01 * 3 / (3 + 1e-7 / Math.sqrt(0.001)), pa[0], 1e-15);
        assertEquals(0.5 + 0.01 * 0.02 / (0.02 + 1e-7 / Math.sqrt(0.001)), pa[1], 1e-15);
        // Adagrad from 0.1: acc = 0.1 + 4; p -= 0.5 * 2 / sqrt(4.1 + 1e-7).
        double[] pg = {1};
        Reference64.adagrad(pg, new double[] {2}, new double[] {0.1}, 0.5, 1e-7);
        assertEquals(1 - 1 / Math.sqrt(4.1 + 1e-7), pg[0], 1e-15);
        // RMSprop centered, rho 0.9: ms = 0.1 g^2, mg = 0.1 g, denom = 0.09 g^2.
        double[] pr = {1};
        Reference64.rmsprop(pr, new double[] {2}, new double[1], null, new double[1], 0.01, 0.9, 0, 0);
        assertEquals(1 - 0.01 * 2 / Math.sqrt(0.09 * 4), pr[0], 1e-15);
    }

    @Test
    void permutationIsAPermutationAndChangesWithEpoch() {
        long s = rnd.nextLong();
        int n = 1000;
        int[] p0 = Reference64.randomPermutation(n, s, 0);
        int[] p1 = Reference64.randomPermutation(n, s, 1);
        int[] sorted = p0.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < n; i++) {
            assertEquals(i, sorted[i]);
        }
        assertTrue(!Arrays.equals(p0, p1));
        // Keys increase (as unsigned numbers) along the permutation.
        for (int i = 1; i < n; i++) {
            long prev = Integer.toUnsignedLong(Philox.bits(s, p0[i - 1], 0, Philox.PERMUTATION_STREAM));
            long cur = Integer.toUnsignedLong(Philox.bits(s, p0[i], 0, Philox.PERMUTATION_STREAM));
            assertTrue(prev < cur || (prev == cur && p0[i - 1] < p0[i]));
        }
    }
}
