package dev.dendrite.backend;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.DoubleUnaryOperator;

/**
 * Plain float64 implementations of every {@link Backend} op, the yardstick for the conformance tests.
 *
 * <p>Written directly from the formulas in {@link Backend}'s Javadoc and deliberately independent of the CPU
 * backend's code (its own erf, its own softmax, its own permutation sort); only {@link Philox} is shared,
 * because the dropout mask and the shuffle are defined by it. Clarity wins over speed: every loop is the
 * textbook one. Matrices are row-major {@code double[]}; gradients are the analytic ones, which
 * {@code Reference64Test} checks against finite differences.
 */
public final class Reference64 {
    /** SELU's alpha (Klambauer et al. 2017), as Keras uses it. */
    public static final double SELU_ALPHA = 1.6732632423543772;
    /** SELU's scale (Klambauer et al. 2017), as Keras uses it. */
    public static final double SELU_SCALE = 1.0507009873554805;

    private Reference64() {
    }

    // ================================================================== special functions

    /**
     * erf by its everywhere-convergent series of positive terms,
     * {@code erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))}, for |x| < 2.5 (no
     * cancellation, so relative accuracy near double precision); beyond that {@code 1 - erfc}.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        if (a >= 2.5) {
            double r = 1 - erfcContinuedFraction(a);
            return x < 0 ? -r : r;
        }
        double term = a;
        double sum = a;
        for (int n = 0; n < 200; n++) {
            term *= 2 * a * a / (2 * n + 3);
            sum += term;
            if (term < 1e-18 * sum) {
                break;
            }
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum;
        return x < 0 ? -r : r;
    }

    /** erfc, with full relative accuracy in the right tail (continued fraction for x >= 2). */
    public static double erfc(double x) {
        if (x >= 2) {
            return erfcContinuedFraction(x);
        }
        return 1 - erf(x);
    }

    /**
     * Laplace's continued fraction {@code erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))},
     * evaluated bottom-up from 120 levels: from x = 2 on that is far below double precision.
     */
    private static double erfcContinuedFraction(double x) {
        double k = x;
        for (int n = 120; n >= 1; n--) {
            k = x + (n / 2.0) / k;
        }
        return Math.exp(-x * x) / (Math.sqrt(Math.PI) * k);
    }

    /** The standard normal CDF. */
    public static double phi(double x) {
        return x < 0 ? 0.5 * erfc(-x / Math.sqrt(2)) : 1 - 0.5 * erfc(x / Math.sqrt(2));
    }

    /** The standard normal density. */
    public static double density(double x) {
        return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /** The logistic function in the form that cannot overflow. */
    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    // ================================================================== activations

    /** Element-wise activation value; SOFTMAX is rejected (see {@link #softmax}). */
    public static double activation(ActivationFunction f, double alpha, double x) {
        switch (f) {
            case LINEAR:
                return x;
            case RELU:
                return x > 0 ? x : 0;
            case SIGMOID:
                return sigmoid(x);
            case TANH:
                return Math.tanh(x);
            case SELU:
                return x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x);
            case ELU:
                return x > 0 ? x : alpha * Math.expm1(x);
            case LEAKY_RELU:
                return x > 0 ? x : alpha * x;
            case GELU:
                return x * phi(x);
            case SWISH:
                return x * sigmoid(x);
            case SOFTPLUS:
                return softplus(x);
            case SOFTSIGN:
                return x / (1 + Math.abs(x));
            case RELU6:
                return Math.min(Math.max(x, 0), 6);
            case HARD_SIGMOID:
                return hardSigmoid(x);
            case HARD_SILU:
                return x * hardSigmoid(x);
            case MISH:
                return x * Math.tanh(softplus(x));
            case EXPONENTIAL:
                return Math.exp(x);
            case CELU: // JAX's form, with Keras's default alpha 1
                return Math.max(x, 0) + Math.min(0, Math.expm1(x));
            case LOG_SIGMOID:
                return -softplus(-x);
            case TANH_SHRINK:
                return tanhShrink(x);
            case HARD_TANH:
                return Math.max(-1, Math.min(1, x));
            case SOFT_SHRINK:
                return Math.signum(x) * Math.max(Math.abs(x) - 0.5, 0);
            case HARD_SHRINK:
                return Math.abs(x) > 0.5 ? x : 0;
            case SPARSE_PLUS:
                return x <= -1 ? 0 : x >= 1 ? x : (x + 1) * (x + 1) / 4;
            case SPARSE_SIGMOID:
                return Math.min(Math.max((x + 1) / 2, 0), 1);
            case SQUAREPLUS:
                return (x + Math.hypot(x, 2)) / 2;
            default:
                throw new IllegalArgumentException("not element-wise: " + f);
        }
    }

    /**
     * Analytic derivative of an element-wise activation. At the kinks (x == 0) relu takes 0 and leaky_relu,
     * elu and selu their negative-side slope.
     */
    public static double activationDerivative(ActivationFunction f, double alpha, double x) {
        switch (f) {
            case LINEAR:
                return 1;
            case RELU:
                return x > 0 ? 1 : 0;
            case SIGMOID: {
                double s = sigmoid(x);
                return s * sigmoid(-x);
            }
            case TANH: {
                double c = Math.cosh(x);
                return Double.isInfinite(c) ? 0 : 1 / (c * c);
            }
            case SELU:
                return x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x);
            case ELU:
                return x > 0 ? 1 : alpha * Math.exp(x);
            case LEAKY_RELU:
                return x > 0 ? 1 : alpha;
            case GELU:
                return phi(x) + x * density(x);
            case SWISH: {
                double s = sigmoid(x);
                return s + x * s * sigmoid(-x);
            }
            case SOFTPLUS:
                return sigmoid(x);
            case SOFTSIGN:
                return 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x)));
            case RELU6:
                return x > 0 && x < 6 ? 1 : 0;
            case HARD_SIGMOID:
                return Math.abs(x) < 3 ? 1.0 / 6 : 0;
            case HARD_SILU:
                return x <= -3 ? 0 : x >= 3 ? 1 : x / 3 + 0.5;
            case MISH: {
                double sp = softplus(x);
                double c = Math.cosh(sp);
                return Math.tanh(sp) + x * sigmoid(x) / (c * c);
            }
            case EXPONENTIAL:
                return Math.exp(x);
            case CELU:
                return x > 0 ? 1 : Math.exp(x);
            case LOG_SIGMOID:
                return sigmoid(-x);
            case TANH_SHRINK:
                return Math.tanh(x) * Math.tanh(x);
            case HARD_TANH:
                return Math.abs(x) <= 1 ? 1 : 0;
            case SOFT_SHRINK:
            case HARD_SHRINK:
                return Math.abs(x) > 0.5 ? 1 : 0;
            case SPARSE_PLUS:
                return Math.min(Math.max((x + 1) / 2, 0), 1);
            case SPARSE_SIGMOID:
                return Math.abs(x) < 1 ? 0.5 : 0;
            case SQUAREPLUS:
                return (1 + x / Math.hypot(x, 2)) / 2;
            default:
                throw new IllegalArgumentException("not element-wise: " + f);
        }
    }

    /** Keras 3's {@code relu6(x + 3) / 6}, written as {@code clip(x / 6 + 1/2, 0, 1)}. */
    private static double hardSigmoid(double x) {
        return Math.min(Math.max(x / 6 + 0.5, 0), 1);
    }

    /**
     * {@code x - tanh(x)}. Below |x| = 1 in 60-digit decimal arithmetic, where the difference cancels in double:
     * {@code tanh x = s / (s + 2)} with {@code s = e^{2x} - 1} summed as its Taylor series (no cancellation either).
     */
    static double tanhShrink(double x) {
        if (Math.abs(x) >= 1) {
            return x - Math.tanh(x);
        }
        MathContext mc = new MathContext(60);
        BigDecimal bx = new BigDecimal(x);
        BigDecimal twoX = bx.multiply(BigDecimal.valueOf(2), mc);
        BigDecimal term = twoX;
        BigDecimal s = term;
        for (int n = 2; n < 80; n++) {
            term = term.multiply(twoX, mc).divide(BigDecimal.valueOf(n), mc);
            s = s.add(term, mc);
        }
        BigDecimal tanh = s.divide(s.add(BigDecimal.valueOf(2), mc), mc);
        return bx.subtract(tanh, mc).doubleValue();
    }

    /** Row-wise softmax. */
    public static double[] softmax(double[] z, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, z[r * cols + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(z[r * cols + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = Math.exp(z[r * cols + c] - max) / sum;
            }
        }
        return y;
    }

    /** {@code y = f(z)} for a whole {@code rows x cols} matrix, softmax included. */
    public static double[] activationForward(ActivationFunction f, double alpha, double[] z, int rows, int cols) {
        if (f == ActivationFunction.SOFTMAX) {
            return softmax(z, rows, cols);
        }
        double[] y = new double[rows * cols];
        for (int i = 0; i < y.length; i++) {
            y[i] = activation(f, alpha, z[i]);
        }
        return y;
    }

    /**
     * {@code dz = dy * f'(z)}; for softmax the full Jacobian-transpose product
     * {@code dz_j = sum_i dy_i dy_i/dz_j = sum_i dy_i y_i (delta_ij - y_j)}, with {@code y} given (it is the
     * forward's output, so a test can pass exactly what a backend saw).
     */
    public static double[] activationBackward(ActivationFunction f, double alpha, double[] z, double[] y,
                                              double[] dy, int rows, int cols) {
        double[] dz = new double[rows * cols];
        if (f == ActivationFunction.SOFTMAX) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    double s = 0;
                    for (int i = 0; i < cols; i++) {
                        double yi = y[r * cols + i];
                        double jac = yi * ((i == j ? 1 : 0) - y[r * cols + j]);
                        s += dy[r * cols + i] * jac;
                    }
                    dz[r * cols + j] = s;
                }
            }
            return dz;
        }
        for (int i = 0; i < dz.length; i++) {
            dz[i] = dy[i] * activationDerivative(f, alpha, z[i]);
        }
        return dz;
    }

    // ================================================================== dense algebra

    /** {@code alpha op(A) op(B) + beta C} ({@code beta == 0}: C ignored, NaN included). */
    public static double[] gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                double[] a, double[] b, double beta, double[] c) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        }
        return out;
    }

    /** {@code sum_p |op(A)_ip| |op(B)_pj|}: the scale against which a GEMM's rounding error is measured. */
    public static double[] gemmAbsScale(boolean transA, boolean transB, int m, int n, int k,
                                        double[] a, double[] b) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    s += Math.abs(av * bv);
                }
                out[i * n + j] = s;
            }
        }
        return out;
    }

    /** {@code out[c] = sum_r x[r, c]}. */
    public static double[] columnSums(double[] x, int rows, int cols) {
        double[] out = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c] += x[r * cols + c];
            }
        }
        return out;
    }

    // ================================================================== losses

    /**
     * What a loss op produces: {@code probs} (or null for MSE), {@code grad} the gradient of {@code loss}
     * (the summed per-row losses) with respect to the logits / predictions (gradScale 1), and the summed
     * per-row accuracies.
     */
    public static final class LossResult {
        public final double[] probs;
        public final double[] grad;
        public final double loss;
        public final double accuracy;
        public final double[] rowLoss;

        LossResult(double[] probs, double[] grad, double loss, double accuracy, double[] rowLoss) {
            this.probs = probs;
            this.grad = grad;
            this.loss = loss;
            this.accuracy = accuracy;
            this.rowLoss = rowLoss;
        }
    }

    /** First index of the maximum of row {@code r}. */
    public static int argmax(double[] x, int r, int cols) {
        int best = 0;
        for (int c = 1; c < cols; c++) {
            if (x[r * cols + c] > x[r * cols + best]) {
                best = c;
            }
        }
        return best;
    }

    /** Softmax cross-entropy with class-index labels. */
    public static LossResult softmaxCrossEntropy(double[] logits, int[] labels, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            t[r * cols + labels[r]] = 1;
        }
        return softmaxCrossEntropy(logits, t, rows, cols, labels);
    }

    /** Softmax cross-entropy with target distributions (accuracy against each target row's arg-max). */
    public static LossResult softmaxCrossEntropy(double[] logits, double[] targets, int rows, int cols) {
        return softmaxCrossEntropy(logits, targets, rows, cols, null);
    }

    private static LossResult softmaxCrossEntropy(double[] z, double[] t, int rows, int cols, int[] labels) {
        double[] p = new double[rows * cols];
        double[] g = new double[rows * cols];
        double[] rowLoss = new double[rows];
        double loss = 0;
        double acc = 0;
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, z[r * cols + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(z[r * cols + c] - max);
            }
            double logSum = Math.log(sum);
            double l = 0;
            for (int c = 0; c < cols; c++) {
                double logP = z[r * cols + c] - max - logSum;
                p[r * cols + c] = Math.exp(logP);
                if (t[r * cols + c] != 0) {
                    l -= t[r * cols + c] * logP;
                }
                g[r * cols + c] = p[r * cols + c] - t[r * cols + c];
            }
            rowLoss[r] = l;
            loss += l;
            int label = labels != null ? labels[r] : argmax(t, r, cols);
            if (argmax(z, r, cols) == label) {
                acc++;
            }
        }
        return new LossResult(p, g, loss, acc, rowLoss);
    }

    /**
     * Keras's {@code class_weight} applied to an unweighted result: each row's loss and gradient times its weight
     * ({@code rowWeights[r]}), the probabilities and the accuracy as they were (Keras 3 weights the loss only).
     */
    public static LossResult classWeighted(LossResult unweighted, double[] rowWeights, int cols) {
        int rows = rowWeights.length;
        double[] g = unweighted.grad.clone();
        double[] rowLoss = new double[rows];
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                g[r * cols + c] *= rowWeights[r];
            }
            rowLoss[r] = unweighted.rowLoss[r] * rowWeights[r];
            loss += rowLoss[r];
        }
        return new LossResult(unweighted.probs, g, loss, unweighted.accuracy, rowLoss);
    }

    /**
     * Each row's weight under Keras's {@code class_weight} ({@code classWeights[k]} for class k) for a classifier of
     * {@code cols} classes: the class is the arg-max of the row's targets (first on ties), as Keras's
     * {@code class_weight_to_sample_weights} picks it for one-hot rows.
     */
    public static double[] rowWeights(double[] targets, int rows, int cols, double[] classWeights) {
        double[] w = new double[rows];
        for (int r = 0; r < rows; r++) {
            w[r] = classWeights[argmax(targets, r, cols)];
        }
        return w;
    }

    /** {@link #rowWeights} for a binary classifier (one output): the class is the target rounded half to even. */
    public static double[] binaryRowWeights(double[] targets, double[] classWeights) {
        double[] w = new double[targets.length];
        for (int r = 0; r < w.length; r++) {
            w[r] = classWeights[(int) Math.rint(targets[r])];
        }
        return w;
    }

    /** Sigmoid + binary cross-entropy, each row's loss the mean over its outputs. */
    public static LossResult sigmoidCrossEntropy(double[] z, double[] t, int rows, int cols) {
        double[] p = new double[rows * cols];
        double[] g = new double[rows * cols];
        double[] rowLoss = new double[rows];
        double loss = 0;
        double acc = 0;
        for (int r = 0; r < rows; r++) {
            double l = 0;
            int hits = 0;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                // -t log p - (1 - t) log(1 - p), with log p = -softplus(-z) and log(1 - p) = -softplus(z)
                l += t[i] * softplus(-z[i]) + (1 - t[i]) * softplus(z[i]);
                p[i] = sigmoid(z[i]);
                if ((p[i] > 0.5) == (t[i] > 0.5)) {
                    hits++;
                }
                g[i] = (p[i] - t[i]) / cols;
            }
            rowLoss[r] = l / cols;
            loss += l / cols;
            acc += (double) hits / cols;
        }
        return new LossResult(p, g, loss, acc, rowLoss);
    }

    /** {@code log(1 + exp(x))} without overflow. */
    public static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** Mean squared error per row, with the arg-max (cols > 1) or |error| < 0.5 (cols == 1) accuracy. */
    public static LossResult meanSquaredError(double[] pred, double[] t, int rows, int cols) {
        return regression(pred, t, rows, cols, d -> d * d, d -> 2 * d);
    }

    /**
     * Mean absolute error (Keras's {@code mean(|d|)}) and Huber loss ({@code 0.5 d^2} within {@code delta}, else
     * {@code delta |d| - 0.5 delta^2}, averaged over the outputs) per row, with their gradients
     * ({@code sign(d) / cols}; {@code d / cols} or {@code delta sign(d) / cols}) and meanSquaredError's accuracy.
     */
    public static LossResult regressionLoss(double[] pred, double[] t, int rows, int cols, boolean huber,
                                            double delta) {
        if (!huber) {
            return regression(pred, t, rows, cols, Math::abs, Math::signum);
        }
        return regression(pred, t, rows, cols,
                d -> Math.abs(d) <= delta ? 0.5 * d * d : delta * Math.abs(d) - 0.5 * delta * delta,
                d -> Math.abs(d) <= delta ? d : delta * Math.signum(d));
    }

    /**
     * Keras's log-cosh loss per row, {@code mean(log(cosh d))}, straight from the definition (no cancellation worth the
     * name in double for the errors the tests draw: cosh d - 1 keeps 16 - log10(2 / d^2) digits), its gradient
     * {@code tanh(d) / cols} and meanSquaredError's accuracy.
     */
    public static LossResult logCosh(double[] pred, double[] t, int rows, int cols) {
        return regression(pred, t, rows, cols, d -> Math.log(Math.cosh(d)), Math::tanh);
    }

    /**
     * A regression loss per row: the mean over its outputs of {@code term(d)}, {@code d = pred - t}, its gradient
     * {@code derivative(d) / cols}, and the arg-max (cols > 1) or |error| < 0.5 (cols == 1) accuracy.
     */
    private static LossResult regression(double[] pred, double[] t, int rows, int cols, DoubleUnaryOperator term,
                                         DoubleUnaryOperator derivative) {
        double[] g = new double[rows * cols];
        double[] rowLoss = new double[rows];
        double loss = 0;
        double acc = 0;
        for (int r = 0; r < rows; r++) {
            double l = 0;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double d = pred[i] - t[i];
                l += term.applyAsDouble(d);
                g[i] = derivative.applyAsDouble(d) / cols;
            }
            rowLoss[r] = l / cols;
            loss += l / cols;
            boolean hit = cols > 1 ? argmax(pred, r, cols) == argmax(t, r, cols)
                    : Math.abs(pred[r] - t[r]) < 0.5;
            acc += hit ? 1 : 0;
        }
        return new LossResult(null, g, loss, acc, rowLoss);
    }

    // ================================================================== regularisation

    /** {@code l1 sum |w| + l2 sum w^2} (before the op's {@code scale}). */
    public static double regularizerPenalty(double[] w, double l1, double l2) {
        double s = 0;
        for (double x : w) {
            s += l1 * Math.abs(x) + l2 * x * x;
        }
        return s;
    }

    /** The term {@code l1 sign(w) + 2 l2 w} that the gradient op adds; sign(0) = 0. */
    public static double[] regularizerGradient(double[] w, double l1, double l2) {
        double[] g = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double sign = w[i] > 0 ? 1 : w[i] < 0 ? -1 : 0;
            g[i] = l1 * sign + 2 * l2 * w[i];
        }
        return g;
    }

    /**
     * Keras's norm constraints on a {@code rows x cols} row-major weight, in double: each column (axis 0) or row
     * (axis 1) times {@code (rate * clip(norm, min, max) + (1 - rate) * norm) / (1e-7 + norm)}.
     */
    public static double[] normConstraint(double[] w, int rows, int cols, int axis, double min, double max,
                                          double rate) {
        double[] out = w.clone();
        int vectors = axis == 0 ? cols : rows;
        int length = axis == 0 ? rows : cols;
        for (int v = 0; v < vectors; v++) {
            double sq = 0;
            for (int i = 0; i < length; i++) {
                double x = w[axis == 0 ? i * cols + v : v * cols + i];
                sq += x * x;
            }
            double norm = Math.sqrt(sq);
            double desired = rate * Math.min(Math.max(norm, min), max) + (1 - rate) * norm;
            double factor = desired / (1e-7 + norm);
            for (int i = 0; i < length; i++) {
                int at = axis == 0 ? i * cols + v : v * cols + i;
                out[at] = w[at] * factor;
            }
        }
        return out;
    }

    // ================================================================== dropout

    /** {@code keep(i) = Philox.uniform(seed, i, step, stream) >= rate}. */
    public static boolean[] dropoutMask(int n, double rate, long seed, int stream, int step) {
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = Philox.uniform(seed, i, step, stream) >= rate;
        }
        return keep;
    }

    /** Inverted dropout with a given mask: {@code keep ? x / (1 - rate) : 0} (forward and backward alike). */
    public static double[] dropout(double[] x, boolean[] keep, double rate) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = keep[i] ? x[i] / (1 - rate) : 0;
        }
        return y;
    }

    // ================================================================== batch normalisation

    /** Training-mode batch norm results, running statistics already updated. */
    public static final class BatchNorm {
        public final double[] y;
        public final double[] mean;
        public final double[] invStd;
        public final double[] runningMean;
        public final double[] runningVar;

        BatchNorm(double[] y, double[] mean, double[] invStd, double[] runningMean, double[] runningVar) {
            this.y = y;
            this.mean = mean;
            this.invStd = invStd;
            this.runningMean = runningMean;
            this.runningVar = runningVar;
        }
    }

    /** Per-column batch norm over the rows with the biased variance; gamma/beta null mean ones/zeros. */
    public static BatchNorm batchNormTraining(double[] x, int rows, int cols, double[] gamma, double[] beta,
                                              double eps, double momentum, double[] runningMean,
                                              double[] runningVar) {
        double[] mean = new double[cols];
        double[] var = new double[cols];
        for (int c = 0; c < cols; c++) {
            double s = 0;
            for (int r = 0; r < rows; r++) {
                s += x[r * cols + c];
            }
            mean[c] = s / rows;
            double q = 0;
            for (int r = 0; r < rows; r++) {
                double d = x[r * cols + c] - mean[c];
                q += d * d;
            }
            var[c] = q / rows;
        }
        double[] inv = new double[cols];
        double[] rm = new double[cols];
        double[] rv = new double[cols];
        for (int c = 0; c < cols; c++) {
            inv[c] = 1 / Math.sqrt(var[c] + eps);
            rm[c] = momentum * runningMean[c] + (1 - momentum) * mean[c];
            rv[c] = momentum * runningVar[c] + (1 - momentum) * var[c];
        }
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double g = gamma == null ? 1 : gamma[c];
                double b = beta == null ? 0 : beta[c];
                y[r * cols + c] = g * (x[r * cols + c] - mean[c]) * inv[c] + b;
            }
        }
        return new BatchNorm(y, mean, inv, rm, rv);
    }

    /** Inference-mode batch norm: {@code gamma (x - runningMean) / sqrt(runningVar + eps) + beta}. */
    public static double[] batchNormInference(double[] x, int rows, int cols, double[] gamma, double[] beta,
                                              double eps, double[] runningMean, double[] runningVar) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double g = gamma == null ? 1 : gamma[c];
                double b = beta == null ? 0 : beta[c];
                y[r * cols + c] = g * (x[r * cols + c] - runningMean[c]) / Math.sqrt(runningVar[c] + eps) + b;
            }
        }
        return y;
    }

    /** Gradients of batch norm: dx, dgamma, dbeta. */
    public static final class BatchNormGrads {
        public final double[] dx;
        public final double[] dgamma;
        public final double[] dbeta;

        BatchNormGrads(double[] dx, double[] dgamma, double[] dbeta) {
            this.dx = dx;
            this.dgamma = dgamma;
            this.dbeta = dbeta;
        }
    }

    /**
     * Backward of {@link #batchNormTraining} given the saved mean and 1/std: with {@code xhat = (x - mean)
     * invStd} and {@code g = gamma dy}, {@code dx = invStd / N (N g - sum g - xhat sum(g xhat))},
     * {@code dgamma = sum dy xhat}, {@code dbeta = sum dy}.
     */
    public static BatchNormGrads batchNormBackward(double[] x, double[] dy, int rows, int cols, double[] gamma,
                                                   double[] mean, double[] invStd) {
        double[] dx = new double[rows * cols];
        double[] dgamma = new double[cols];
        double[] dbeta = new double[cols];
        for (int c = 0; c < cols; c++) {
            double gam = gamma == null ? 1 : gamma[c];
            double sumG = 0;
            double sumGx = 0;
            for (int r = 0; r < rows; r++) {
                double xhat = (x[r * cols + c] - mean[c]) * invStd[c];
                double g = gam * dy[r * cols + c];
                sumG += g;
                sumGx += g * xhat;
                dgamma[c] += dy[r * cols + c] * xhat;
                dbeta[c] += dy[r * cols + c];
            }
            for (int r = 0; r < rows; r++) {
                double xhat = (x[r * cols + c] - mean[c]) * invStd[c];
                double g = gam * dy[r * cols + c];
                dx[r * cols + c] = invStd[c] / rows * (rows * g - sumG - xhat * sumGx);
            }
        }
        return new BatchNormGrads(dx, dgamma, dbeta);
    }

    // ================================================================== optimizers (state updated in place)

    /** Keras SGD; {@code velocity == null}: plain. */
    public static void sgd(double[] p, double[] g, double[] velocity, double lr, double momentum,
                           boolean nesterov) {
        for (int i = 0; i < p.length; i++) {
            if (velocity == null) {
                p[i] -= lr * g[i];
            } else {
                velocity[i] = momentum * velocity[i] - lr * g[i];
                p[i] += nesterov ? momentum * velocity[i] - lr * g[i] : velocity[i];
            }
        }
    }

    /** Keras Adam at step {@code t} (1-based); {@code vMax != null}: AMSGrad. */
    public static void adam(double[] p, double[] g, double[] m, double[] v, double[] vMax, double lr, int t,
                            double beta1, double beta2, double eps) {
        double alpha = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        for (int i = 0; i < p.length; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            double vUsed = v[i];
            if (vMax != null) {
                vMax[i] = Math.max(vMax[i], v[i]);
                vUsed = vMax[i];
            }
            p[i] -= alpha * m[i] / (Math.sqrt(vUsed) + eps);
        }
    }

    /** Keras RMSprop; {@code mom == null}: no momentum; {@code mg != null}: centered. */
    public static void rmsprop(double[] p, double[] g, double[] ms, double[] mom, double[] mg, double lr,
                               double rho, double momentum, double eps) {
        for (int i = 0; i < p.length; i++) {
            ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
            double denom = ms[i];
            if (mg != null) {
                mg[i] = rho * mg[i] + (1 - rho) * g[i];
                denom -= mg[i] * mg[i];
            }
            double inc = lr * g[i] / Math.sqrt(denom + eps);
            if (mom != null) {
                mom[i] = momentum * mom[i] + inc;
                p[i] -= mom[i];
            } else {
                p[i] -= inc;
            }
        }
    }

    /** Keras Adagrad. */
    public static void adagrad(double[] p, double[] g, double[] acc, double lr, double eps) {
        for (int i = 0; i < p.length; i++) {
            acc[i] += g[i] * g[i];
            p[i] -= lr * g[i] / Math.sqrt(acc[i] + eps);
        }
    }

    // ================================================================== data movement

    /**
     * The source rows a gather reads: {@code indices[batch * batchSize + r]} or, without indices,
     * {@code batch * batchSize + r}.
     */
    public static int[] gatherRows(int[] indices, int batch, int batchSize, int rows) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int pos = batch * batchSize + r;
            out[r] = indices == null ? pos : indices[pos];
        }
        return out;
    }

    /** A float-valued gather: {@code src[j, f] * scale[f] + shift[f]} (null: 1 and 0). */
    public static double[] gather(double[] src, int width, int[] sourceRows, double[] scale, double[] shift) {
        double[] out = new double[sourceRows.length * width];
        for (int r = 0; r < sourceRows.length; r++) {
            for (int f = 0; f < width; f++) {
                double s = scale == null ? 1 : scale[f];
                double b = shift == null ? 0 : shift[f];
                out[r * width + f] = src[sourceRows[r] * width + f] * s + b;
            }
        }
        return out;
    }

    /** The epoch's shuffle, straight from its definition: indices sorted by (unsigned Philox bits, index). */
    public static int[] randomPermutation(int n, long seed, int epoch) {
        Integer[] order = new Integer[n];
        long[] key = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            key[i] = Integer.toUnsignedLong(Philox.bits(seed, i, epoch, Philox.PERMUTATION_STREAM));
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> key[i]).thenComparingInt(i -> i));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = order[i];
        }
        return out;
    }

    // ================================================================== conversions

    /** Widens every element (exactly). */
    public static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** Widens every element (exactly). */
    public static double[] toDouble(int[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
