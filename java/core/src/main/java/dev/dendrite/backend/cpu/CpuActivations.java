package dev.dendrite.backend.cpu;

import dev.dendrite.backend.ActivationFunction;

/**
 * The scalar math of every {@link ActivationFunction}: forward value and derivative, in one place, so that
 * the CPU backend (the reference every other backend is tested against) has a single definition.
 *
 * <p>Every function takes and returns {@code float} but evaluates in {@code double} and rounds once at the
 * end, so a result is within about one float rounding (6e-8 relative) of the exact value; the exceptions are
 * GELU, whose {@link #erf} is accurate to about 1e-11 absolute before that rounding, and functions of a
 * product such as {@code alpha * x} that round twice.
 *
 * <p>Conventions at the kinks, which no formula fixes: the derivative of {@code relu} at 0 is 0, and those of
 * {@code leaky_relu}, {@code elu} and {@code selu} at 0 use their negative branch ({@code alpha},
 * {@code alpha}, {@code scale * alpha}); the other activations' are in {@link ActivationFunction}'s Javadoc.
 * {@link ActivationFunction#SOFTMAX} is row-wise, see {@link #softmaxRow} and {@link #softmaxBackwardRow}; its
 * scalar methods throw.
 */
public final class CpuActivations {
    /** SELU's alpha (Klambauer et al. 2017), as in Keras. */
    public static final double SELU_ALPHA = 1.6732632423543772;
    /** SELU's scale (Klambauer et al. 2017), as in Keras. */
    public static final double SELU_SCALE = 1.0507009873554805;

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    static final double INV_SQRT_2 = 0.7071067811865476;
    static final double INV_SQRT_2PI = 0.3989422804014327;
    /** Keras's default threshold of soft_shrink and hard_shrink. */
    private static final double SHRINK_THRESHOLD = 0.5;
    /** Keras's default b of squareplus. */
    private static final double SQUAREPLUS_B = 4;
    /** {@code (x - tanh x) / x^3} as a polynomial in x^2: the coefficients of x^3, x^5, ... x^15 in tanh's series. */
    static final double[] TANH_SHRINK_SERIES = {
        1.0 / 3, -2.0 / 15, 17.0 / 315, -62.0 / 2835, 1382.0 / 155925, -21844.0 / 6081075, 929569.0 / 638512875,
    };

    /**
     * Maclaurin coefficients of erf(u) / u as a polynomial in u^2: {@code 2/sqrt(pi) (-1)^n / (n! (2n+1))}.
     * Computed from the series itself; 14 terms leave a truncation error below 5e-13 for |u| <= 1.
     */
    static final double[] ERF_TAYLOR = new double[14];

    /**
     * Chebyshev coefficients (first kind, in {@code t = 2s - 1}) of {@code g(s) = u exp(u^2) erfc(u)} with
     * {@code s = 1/u} on {@code [0, 1]}, i.e. for every {@code u >= 1}; {@code g(0) = 1/sqrt(pi)}. Obtained by
     * interpolating g at the 20 first-kind Chebyshev nodes, with g evaluated in 40-digit arithmetic, and
     * rounding to double. Measured maximum relative error of the interpolant on a 2001-point grid: 8.8e-12,
     * so erfc(u) for u >= 1 (at most 0.157) is within 2e-12 absolute.
     */
    private static final double[] ERFC_CHEB = {
        0.5039781175024709, -0.07211219804839038, -0.0074953160268578034, 0.003838051895687984,
        -0.0006410126699713449, -1.5540548808156492e-05, 4.3230243101740186e-05, -1.376937445787695e-05,
        1.8747983544478257e-06, 3.6072578622224243e-07, -3.034436903629324e-07, 9.58724695709035e-08,
        -1.358326588310035e-08, -3.2191604446370093e-09, 2.874678131231246e-09, -1.0331047473885146e-09,
        1.923844520773613e-10, 1.9831391896695885e-11, -3.2548627992904377e-11, 1.4204632741815848e-11,
    };

    /**
     * {@link #ERFC_CHEB} as a polynomial in {@code t} (monomial coefficients, lowest first), for Estrin's scheme: the
     * same function, evaluated with a dependency chain of 5 fused multiply-adds instead of Clenshaw's 19 steps. The
     * conversion lets coefficients of up to about 2e4 cancel; the result stays within 2e-13 relative of Clenshaw's
     * (measured on 800,001 points of [-28, 28]), far inside the 2e-12 the interpolant promises.
     */
    static final double[] ERFC_POLY = monomial(ERFC_CHEB);

    static {
        double factorial = 1;
        for (int n = 0; n < ERF_TAYLOR.length; n++) {
            if (n > 0) {
                factorial *= n;
            }
            ERF_TAYLOR[n] = ((n & 1) == 0 ? 1 : -1) * TWO_OVER_SQRT_PI / (factorial * (2 * n + 1));
        }
    }

    private CpuActivations() {
    }

    // ------------------------------------------------------------------ special functions

    /** The error function, with absolute error below 1e-11 for every finite {@code u}. */
    public static double erf(double u) {
        double a = Math.abs(u);
        if (a <= 1) {
            return erfSmall(u);
        }
        double r = 1 - erfcLarge(a);
        return u < 0 ? -r : r;
    }

    /** The complementary error function {@code 1 - erf(u)}, accurate in relative terms for large {@code u}. */
    public static double erfc(double u) {
        if (u >= 1) {
            return erfcLarge(u);
        }
        if (u <= -1) {
            return 2 - erfcLarge(-u);
        }
        return 1 - erfSmall(u);
    }

    /** The standard normal CDF {@code Phi(x) = erfc(-x / sqrt 2) / 2}, without cancellation in the left tail. */
    public static double normalCdf(double x) {
        return 0.5 * erfc(-x * INV_SQRT_2);
    }

    /**
     * erf for |u| <= 1: the odd Maclaurin series in u^2, by Estrin's scheme (a chain of 4 fused multiply-adds
     * where Horner's rule has 13: the loops over a layer's values are bound by that latency, not by throughput).
     */
    private static double erfSmall(double u) {
        double[] c = ERF_TAYLOR;
        double x = u * u;
        double x2 = x * x;
        double x4 = x2 * x2;
        double low = Math.fma(Math.fma(Math.fma(c[7], x, c[6]), x2, Math.fma(c[5], x, c[4])), x4,
                Math.fma(Math.fma(c[3], x, c[2]), x2, Math.fma(c[1], x, c[0])));
        double high = Math.fma(Math.fma(c[13], x, c[12]), x4,
                Math.fma(Math.fma(c[11], x, c[10]), x2, Math.fma(c[9], x, c[8])));
        return u * Math.fma(high, x4 * x4, low);
    }

    /** erfc for u >= 1: {@code exp(-u^2) / u * g(1/u)} with g the Chebyshev interpolant. */
    private static double erfcLarge(double u) {
        if (u > 27) {
            return 0; // exp(-u^2) underflows double here; erfc is below 1e-318
        }
        return Math.exp(-u * u) * erfcScaled(u);
    }

    /** {@code exp(u^2) erfc(u)} for {@code 1 <= u <= 27}: {@code g(1/u) / u}, g by Estrin's scheme on ERFC_POLY. */
    private static double erfcScaled(double u) {
        double[] c = ERFC_POLY;
        double t = 2 / u - 1;
        double t2 = t * t;
        double t4 = t2 * t2;
        double t8 = t4 * t4;
        double b0 = Math.fma(Math.fma(c[3], t, c[2]), t2, Math.fma(c[1], t, c[0]));
        double b1 = Math.fma(Math.fma(c[7], t, c[6]), t2, Math.fma(c[5], t, c[4]));
        double b2 = Math.fma(Math.fma(c[11], t, c[10]), t2, Math.fma(c[9], t, c[8]));
        double b3 = Math.fma(Math.fma(c[15], t, c[14]), t2, Math.fma(c[13], t, c[12]));
        double b4 = Math.fma(Math.fma(c[19], t, c[18]), t2, Math.fma(c[17], t, c[16]));
        double g = Math.fma(b4, t8 * t8, Math.fma(Math.fma(b3, t4, b2), t8, Math.fma(b1, t4, b0)));
        return g / u;
    }

    /** Monomial coefficients (lowest first) of {@code sum c[k] T_k(t)}, from {@code T_{k+1} = 2t T_k - T_{k-1}}. */
    private static double[] monomial(double[] chebyshev) {
        int n = chebyshev.length;
        double[] out = new double[n];
        double[] previous = new double[n];
        double[] current = new double[n];
        previous[0] = 1;
        out[0] = chebyshev[0];
        if (n > 1) {
            current[1] = 1;
            out[1] = chebyshev[1];
        }
        for (int k = 2; k < n; k++) {
            double[] next = new double[n];
            for (int i = 0; i < n; i++) {
                next[i] = (i > 0 ? 2 * current[i - 1] : 0) - previous[i];
                out[i] += chebyshev[k] * next[i];
            }
            previous = current;
            current = next;
        }
        return out;
    }

    // The elementary functions below are written on Math.exp and Math.log, which HotSpot compiles to intrinsics;
    // Math.tanh, Math.expm1 and Math.log1p are not, and cost 2-4 times as much (measured on JDK 17: tanh 48 ns
    // against 14 ns here). Each stays far inside half a float ulp of the exact value before the final rounding.

    /**
     * The logistic function {@code 1 / (1 + e^-x)}: in double it neither overflows (e^-x going to infinity gives 0)
     * nor cancels, so it needs no branch on the sign (which a random sign would mispredict half the time).
     */
    public static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /**
     * {@code tanh(x) = 1 - 2 / (1 + e^{2x})}; below |x| = 1e-4, where that difference loses digits, {@code x - x^3 / 3}
     * (the next term, {@code 2 x^5 / 15}, is below 1e-16 of it). Within 3e-12 relative everywhere.
     */
    private static double tanh(double x) {
        if (Math.abs(x) < 1e-4) {
            return x - x * x * x / 3;
        }
        return 1 - 2 / (1 + Math.exp(2 * x));
    }

    /**
     * {@code e^x - 1}; below |x| = 1e-5, where the difference cancels, {@code x + x^2 / 2 + x^3 / 6} (the next term is
     * below 1e-16 of it). Within 2e-11 relative everywhere.
     */
    private static double expm1(double x) {
        if (Math.abs(x) < 1e-5) {
            return x + x * x / 2 + x * x * x / 6;
        }
        return Math.exp(x) - 1;
    }

    /**
     * {@code log(1 + e)} for {@code e} in [0, 1]; below 1e-5, where {@code 1 + e} rounds,
     * {@code e - e^2 / 2 + e^3 / 3}. Within 2e-11 relative.
     */
    private static double log1p(double e) {
        if (e < 1e-5) {
            return e - e * e / 2 + e * e * e / 3;
        }
        return Math.log(1 + e);
    }

    // ------------------------------------------------------------------ scalar forward / derivative

    /**
     * {@code f(x)} for an element-wise activation.
     *
     * @param alpha the negative slope of leaky_relu or the saturation of elu; ignored by the others
     * @throws IllegalArgumentException for {@link ActivationFunction#SOFTMAX}, which is row-wise
     */
    public static float forward(ActivationFunction f, float alpha, float x) {
        switch (f) {
            case LINEAR:
                return x;
            case RELU:
                return Math.max(x, 0f);
            case SIGMOID:
                return sigmoidF(x);
            case TANH:
                return tanhF(x);
            case SELU:
                return seluF(x);
            case ELU:
                return eluF(alpha, x);
            case LEAKY_RELU:
                return x < 0 ? alpha * x : x;
            case GELU:
                return geluF(x);
            case SWISH:
                return swishF(x);
            case SOFTMAX:
                throw notElementWise(f);
            default:
                return (float) more(f, x);
        }
    }

    /**
     * {@code f'(z)} for an element-wise activation, given the pre-activation {@code z} and the forward's
     * output {@code y = f(z)}. Computed from {@code z} in double: forms in {@code y} alone, such as
     * {@code y (1 - y)} for the sigmoid, lose all precision where {@code y} rounds to 1.
     *
     * @throws IllegalArgumentException for {@link ActivationFunction#SOFTMAX}, which is row-wise
     */
    public static float derivative(ActivationFunction f, float alpha, float z, float y) {
        switch (f) {
            case LINEAR:
                return 1f;
            case RELU:
                return z > 0 ? 1f : 0f;
            case SIGMOID:
                return sigmoidD(z);
            case TANH:
                return tanhD(z);
            case SELU:
                return seluD(z);
            case ELU:
                return eluD(alpha, z);
            case LEAKY_RELU:
                return z > 0 ? 1f : alpha;
            case GELU:
                return geluD(z);
            case SWISH:
                return swishD(z);
            case SOFTMAX:
                throw notElementWise(f);
            default:
                return (float) moreDerivative(f, z);
        }
    }

    /**
     * The activations from {@link ActivationFunction#SOFTPLUS} on, in double: Keras 3's definitions, with the kink
     * conventions of {@link ActivationFunction}'s Javadoc (those of JAX, but at hard_tanh's ends, where they agree
     * with TensorFlow, and sparse_sigmoid's, where JAX takes the mean of the two sides).
     */
    private static double more(ActivationFunction f, double x) {
        switch (f) {
            case SOFTPLUS:
                return softplus(x);
            case SOFTSIGN:
                return x / (1 + Math.abs(x));
            case RELU6:
                return x < 0 ? 0 : x > 6 ? 6 : x;
            case HARD_SIGMOID:
                return hardSigmoid(x);
            case HARD_SILU:
                return x * hardSigmoid(x);
            case MISH:
                return mish(x);
            case EXPONENTIAL:
                return Math.exp(x);
            case CELU:
                return x > 0 ? x : expm1(x);
            case LOG_SIGMOID:
                return -softplus(-x);
            case TANH_SHRINK:
                return tanhShrink(x);
            case HARD_TANH:
                return x < -1 ? -1 : x > 1 ? 1 : x;
            case SOFT_SHRINK:
                return Math.abs(x) <= SHRINK_THRESHOLD ? 0 : x > 0 ? x - SHRINK_THRESHOLD : x + SHRINK_THRESHOLD;
            case HARD_SHRINK:
                return Math.abs(x) <= SHRINK_THRESHOLD ? 0 : x;
            case SPARSE_PLUS:
                return x <= -1 ? 0 : x >= 1 ? x : (x + 1) * (x + 1) / 4;
            case SPARSE_SIGMOID:
                return x <= -1 ? 0 : x >= 1 ? 1 : (x + 1) / 2;
            case SQUAREPLUS: {
                double r = Math.sqrt(x * x + SQUAREPLUS_B); // no overflow: x is a float
                return x >= 0 ? (x + r) / 2 : SQUAREPLUS_B / (2 * (r - x)); // the second form: x + r cancels
            }
            default:
                throw new IllegalArgumentException("activation " + f + " has a formula of its own");
        }
    }

    private static double moreDerivative(ActivationFunction f, double z) {
        switch (f) {
            case SOFTPLUS:
                return sigmoid(z);
            case SOFTSIGN: {
                double t = 1 / (1 + Math.abs(z));
                return t * t;
            }
            case RELU6:
                return z > 0 && z < 6 ? 1 : 0;
            case HARD_SIGMOID:
                return z > -3 && z < 3 ? 1.0 / 6 : 0;
            case HARD_SILU:
                return z <= -3 ? 0 : z >= 3 ? 1 : (2 * z + 3) / 6;
            case MISH:
                return mishDerivative(z);
            case EXPONENTIAL:
                return Math.exp(z);
            case CELU:
                return z > 0 ? 1 : Math.exp(z);
            case LOG_SIGMOID:
                return sigmoid(-z);
            case TANH_SHRINK: {
                double t = tanh(z);
                return t * t;
            }
            case HARD_TANH:
                return z >= -1 && z <= 1 ? 1 : 0;
            case SOFT_SHRINK:
            case HARD_SHRINK:
                return Math.abs(z) > SHRINK_THRESHOLD ? 1 : 0;
            case SPARSE_PLUS:
                return z <= -1 ? 0 : z >= 1 ? 1 : (z + 1) / 2;
            case SPARSE_SIGMOID:
                return z > -1 && z < 1 ? 0.5 : 0;
            case SQUAREPLUS: {
                double r = Math.sqrt(z * z + SQUAREPLUS_B);
                return z >= 0 ? (1 + z / r) / 2 : 2 / (r * (r - z)); // (r + z) / 2r, with r + z rewritten
            }
            default:
                throw new IllegalArgumentException("activation " + f + " has a formula of its own");
        }
    }

    /** {@code log(1 + exp(x))} as {@code max(x, 0) + log1p(exp(-|x|))}: no overflow, no cancellation. */
    private static double softplus(double x) {
        return Math.max(x, 0) + log1p(Math.exp(-Math.abs(x)));
    }

    /**
     * Mish, {@code x tanh(softplus(x))}, from one exponential: with {@code u = e^x}, {@code tanh(log(1 + u)) =
     * n / (n + 2)} where {@code n = u (u + 2)}, a sum of positive terms (no cancellation as x goes to minus
     * infinity). Above x = 20 the quotient is 1 in double.
     */
    private static double mish(double x) {
        if (x > 20) {
            return x;
        }
        double u = Math.exp(x);
        double n = u * (u + 2);
        return x * n / (n + 2);
    }

    /** Its derivative, {@code n / (n + 2) + x 4 u (u + 1) / (n + 2)^2}; above 20 the second term is below 1e-15. */
    private static double mishDerivative(double x) {
        if (x > 20) {
            return 1;
        }
        double u = Math.exp(x);
        double n = u * (u + 2);
        double d = n + 2;
        return n / d + x * 4 * u * (u + 1) / (d * d);
    }

    /** Keras 3's {@code relu6(x + 3) / 6}. */
    private static double hardSigmoid(double x) {
        double v = x + 3;
        return (v < 0 ? 0 : v > 6 ? 6 : v) / 6;
    }

    /**
     * {@code x - tanh(x)}; below |x| = 0.1, where the difference cancels (it is about x^3 / 3), the Maclaurin series
     * to x^15, whose first omitted term is below 1e-16 of the sum there.
     */
    private static double tanhShrink(double x) {
        if (Math.abs(x) >= 0.1) {
            return x - tanh(x);
        }
        double x2 = x * x;
        double p = TANH_SHRINK_SERIES[TANH_SHRINK_SERIES.length - 1];
        for (int n = TANH_SHRINK_SERIES.length - 2; n >= 0; n--) {
            p = p * x2 + TANH_SHRINK_SERIES[n];
        }
        return x * x2 * p;
    }

    // One definition per function, shared by the scalar methods above and the loops below.

    private static float sigmoidF(float x) {
        return (float) sigmoid(x);
    }

    private static float tanhF(float x) {
        return (float) tanh(x);
    }

    private static float seluF(float x) {
        return (float) (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * expm1(x));
    }

    private static float eluF(float alpha, float x) {
        return x > 0 ? x : (float) (alpha * expm1(x));
    }

    private static float geluF(float x) {
        return (float) (x * normalCdf(x));
    }

    private static float swishF(float x) {
        return (float) (x * sigmoid(x));
    }

    // The derivatives below take |z| in float, then widen it: the same value (both steps are exact), but on JDK 17 a
    // loop of exp(-Math.abs((double) z)) took 24 ns an element against 9.5 for exp(-Math.abs(z)) (AMD EPYC, AVX2).

    private static float sigmoidD(float z) {
        double e = Math.exp(-Math.abs(z));
        double d = 1 + e;
        return (float) (e / (d * d));
    }

    private static float tanhD(float z) {
        double e = Math.exp(-2.0 * Math.abs(z));
        double d = 1 + e;
        return (float) (4 * e / (d * d));
    }

    private static float seluD(float z) {
        return (float) (z > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(z));
    }

    private static float eluD(float alpha, float z) {
        return z > 0 ? 1f : (float) (alpha * Math.exp(z));
    }

    /**
     * {@code Phi(z) + z phi(z)}. Beyond |z| = sqrt 2, where Phi comes from erfc's exp(-z^2 / 2) times its scaled
     * part, that one exp serves phi too.
     */
    private static float geluD(float z) {
        double u = -z * INV_SQRT_2;
        double a = Math.abs(z) * INV_SQRT_2; // |u|
        if (a <= 1) {
            return (float) (normalCdf(z) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * (double) z));
        }
        if (a > 27) {
            return z > 0 ? 1f : 0f; // Phi is 1 or 0 and phi 0 in double
        }
        double e = Math.exp(-u * u);
        double tail = 0.5 * e * erfcScaled(a); // Phi(-|z|)
        double cdf = u > 0 ? tail : 1 - tail;
        return (float) (cdf + z * INV_SQRT_2PI * e);
    }

    private static float swishD(float z) {
        double s = sigmoid(z);
        return (float) (s + z * s * (1 - s));
    }

    private static IllegalArgumentException notElementWise(ActivationFunction f) {
        return new IllegalArgumentException("activation " + f + " is row-wise, not element-wise; "
                + "use softmaxRow / softmaxBackwardRow");
    }

    // ------------------------------------------------------------------ loops used by the backend
    //
    // Each loop indexes every array with the loop variable alone, over the same range [from, to). That is what
    // lets C2 (JDK 17) vectorise the cheap ones: it packs loads and stores of float arrays only when it can
    // order them, and it can only order accesses whose indices differ by a constant; a[i + aOff] beside
    // b[i + bOff] defeats it. The backend calls these on slices whose offsets agree, or on staging tiles.
    // The activation is dispatched once per call, so every loop body is branch-free in the activation kind.

    /**
     * The array loops that a faster implementation may take over ({@link CpuActivationsVector}); a method returns
     * false for an activation it leaves to the plain loops.
     */
    interface Loops {
        boolean forward(ActivationFunction f, float alpha, float[] z, float[] y, int from, int to);

        boolean backward(ActivationFunction f, float alpha, float[] z, float[] dy, float[] dz, int from, int to);
    }

    /**
     * The Vector API loops, or null: without the module, with {@code -Ddendrite.activations.scalar=true}, or off
     * x86-64 Linux and Windows, where JDK 17 has no vector intrinsics for exp and log (its fallback evaluates each
     * lane through {@code Math}, slower than the plain loops).
     */
    private static final Loops VECTOR = vectorLoops();

    private static Loops vectorLoops() {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "");
        if (!(arch.equals("amd64") || arch.equals("x86_64")) || !(os.startsWith("Linux") || os.startsWith("Windows"))) {
            return null;
        }
        return CpuVectorKernels.load(Loops.class, "CpuActivationsVector", "dendrite.activations.scalar");
    }

    /** The Vector API loops when this JVM runs them, else null (for tests). */
    static Loops vectorLoopsInUse() {
        return VECTOR;
    }

    /**
     * {@code y[i] = f(z[i])} for {@code i} in {@code [from, to)}, element-wise activations only. {@code y} may be
     * {@code z}. On the Vector API loops where they run, within 1 float ulp of the plain loops (see
     * {@link CpuActivationsVector}); else the plain loops.
     */
    public static void forward(ActivationFunction f, float alpha, float[] z, float[] y, int from, int to) {
        if (VECTOR == null || !VECTOR.forward(f, alpha, z, y, from, to)) {
            plainForward(f, alpha, z, y, from, to);
        }
    }

    /**
     * {@code dz[i] = dy[i] * f'(z[i])} for {@code i} in {@code [from, to)}, element-wise activations only;
     * {@code dz} may be {@code dy}. On the Vector API loops where they run, else the plain loops.
     */
    public static void backward(ActivationFunction f, float alpha, float[] z, float[] dy, float[] dz,
                                int from, int to) {
        if (VECTOR == null || !VECTOR.backward(f, alpha, z, dy, dz, from, to)) {
            plainBackward(f, alpha, z, dy, dz, from, to);
        }
    }

    /**
     * The plain loops' {@code y[i] = f(z[i])}. {@code relu}, {@code leaky_relu} and {@code linear} are vectorised
     * by C2; the others evaluate their functions one element at a time, in double, as the scalar {@link #forward}.
     */
    static void plainForward(ActivationFunction f, float alpha, float[] z, float[] y, int from, int to) {
        switch (f) {
            case LINEAR:
                if (z != y) {
                    System.arraycopy(z, from, y, from, to - from);
                }
                break;
            case RELU:
                reluForward(z, y, from, to);
                break;
            case LEAKY_RELU:
                leakyReluForward(alpha, z, y, from, to);
                break;
            case SIGMOID:
                for (int i = from; i < to; i++) {
                    y[i] = sigmoidF(z[i]);
                }
                break;
            case TANH:
                for (int i = from; i < to; i++) {
                    y[i] = tanhF(z[i]);
                }
                break;
            case SELU:
                for (int i = from; i < to; i++) {
                    y[i] = seluF(z[i]);
                }
                break;
            case ELU:
                for (int i = from; i < to; i++) {
                    y[i] = eluF(alpha, z[i]);
                }
                break;
            case GELU:
                for (int i = from; i < to; i++) {
                    y[i] = geluF(z[i]);
                }
                break;
            case SWISH:
                for (int i = from; i < to; i++) {
                    y[i] = swishF(z[i]);
                }
                break;
            case SOFTMAX:
                throw notElementWise(f);
            default:
                for (int i = from; i < to; i++) {
                    y[i] = (float) more(f, z[i]);
                }
                break;
        }
    }

    private static void reluForward(float[] z, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = Math.max(z[i], 0f);
        }
    }

    /** {@code x < 0 ? alpha x : x} without a branch: {@code max(x, 0) + alpha min(x, 0)}, exact (one term is 0). */
    private static void leakyReluForward(float alpha, float[] z, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = z[i];
            y[i] = Math.max(x, 0f) + alpha * Math.min(x, 0f);
        }
    }

    /**
     * The plain loops' {@code dz[i] = dy[i] * f'(z[i])}; {@code dz} may be {@code dy} (each element is read before it
     * is written). {@code relu}, {@code leaky_relu} and {@code linear} are vectorised by C2.
     *
     * <p>For finite inputs every result equals the scalar {@code dy * derivative(f, alpha, z, y)}. Non-finite
     * inputs propagate through the product as they do on a GPU ({@code dy * f'(z)}): for {@code relu} and
     * {@code leaky_relu} an infinite {@code dy} where {@code z <= 0} gives NaN rather than 0, and a NaN
     * {@code z} gives NaN.
     */
    static void plainBackward(ActivationFunction f, float alpha, float[] z, float[] dy, float[] dz,
                              int from, int to) {
        switch (f) {
            case LINEAR:
                if (dy != dz) {
                    System.arraycopy(dy, from, dz, from, to - from);
                }
                break;
            case RELU:
                reluBackward(z, dy, dz, from, to);
                break;
            case LEAKY_RELU:
                leakyReluBackward(alpha, z, dy, dz, from, to);
                break;
            case SIGMOID:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * sigmoidD(z[i]);
                }
                break;
            case TANH:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * tanhD(z[i]);
                }
                break;
            case SELU:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * seluD(z[i]);
                }
                break;
            case ELU:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * eluD(alpha, z[i]);
                }
                break;
            case GELU:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * geluD(z[i]);
                }
                break;
            case SWISH:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * swishD(z[i]);
                }
                break;
            case SOFTMAX:
                throw notElementWise(f);
            default:
                for (int i = from; i < to; i++) {
                    dz[i] = dy[i] * (float) moreDerivative(f, z[i]);
                }
                break;
        }
    }

    /**
     * The step function {@code z > 0 ? 1 : 0} with no comparison, which C2 would compile to a branch (taken at
     * random for activations, so mispredicted half the time) rather than vector code: {@code max(z, 0)} is 0
     * for {@code z <= 0} (and -0) and at least {@code 2^-149} above; scaled by {@code 2^150} (in two factors,
     * each a float) it is at least 2, so {@code min(., 1)} is exactly 1. NaN stays NaN.
     */
    private static float step(float z) {
        return Math.min(Math.max(z, 0f) * 0x1p127f * 0x1p23f, 1f);
    }

    /** {@code dz = z > 0 ? dy : 0}; {@code + 0f} turns the -0 of a negative {@code dy} times 0 into 0. */
    private static void reluBackward(float[] z, float[] dy, float[] dz, int from, int to) {
        for (int i = from; i < to; i++) {
            dz[i] = dy[i] * step(z[i]) + 0f;
        }
    }

    /** {@code dz = dy * (z > 0 ? 1 : alpha)}, the slope {@code h + (1 - h) alpha} being exactly 1 or alpha. */
    private static void leakyReluBackward(float alpha, float[] z, float[] dy, float[] dz, int from, int to) {
        for (int i = from; i < to; i++) {
            float h = step(z[i]);
            dz[i] = dy[i] * (h + (1f - h) * alpha);
        }
    }

    /**
     * Softmax of one row of {@code n} elements: {@code y = exp(z - max z) / sum exp(z - max z)}. Subtracting
     * the row's maximum keeps every exponent at most 0, so nothing overflows; the sum is kept in double.
     * {@code y} may alias {@code z} exactly.
     */
    public static void softmaxRow(float[] z, int zOff, float[] y, int yOff, int n) {
        if (n == 0) {
            return;
        }
        float max = z[zOff];
        for (int i = 1; i < n; i++) {
            max = Math.max(max, z[zOff + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp((double) z[zOff + i] - max);
            sum += e;
            y[yOff + i] = (float) e;
        }
        double inv = 1 / sum;
        for (int i = 0; i < n; i++) {
            y[yOff + i] = (float) (y[yOff + i] * inv);
        }
    }

    /**
     * Softmax backward for one row: the Jacobian-vector product {@code dz = y * (dy - sum(dy * y))}, with the
     * dot product in double. {@code dz} may alias {@code dy} exactly.
     */
    public static void softmaxBackwardRow(float[] y, int yOff, float[] dy, int dyOff, float[] dz, int dzOff,
                                          int n) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) dy[dyOff + i] * y[yOff + i];
        }
        for (int i = 0; i < n; i++) {
            dz[dzOff + i] = (float) (y[yOff + i] * (dy[dyOff + i] - dot));
        }
    }
}
