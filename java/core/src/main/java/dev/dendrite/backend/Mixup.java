package dev.dendrite.backend;

/**
 * The definition of {@link Backend#mixup} (kernels/common/mixup.h is its device twin; read the header for the
 * draws): sample {@code r} of a batch of {@code n} gets {@code lam ~ Beta(alpha, alpha)} from Philox counters
 * {@code (r, step, stream + k)} (two Gamma draws by Marsaglia-Tsang, their ratio taken in logs) and the partner
 * {@code (a r + b) mod n}, a permutation of the batch drawn from counter {@code (0, step, stream + 16)}; then
 * {@code x'[r] = lam x[r] + (1 - lam) x[partner]}, and the same for the targets (class indices as one-hot rows).
 *
 * <p>The float operations are the header's in its order; the logarithms and exponentials are Java's, so a GPU
 * backend's lambdas agree with these to a few ulps rather than bit for bit.
 */
public final class Mixup {
    /** The first of the 17 Philox streams a fit's mixup draws from (below {@link Philox#PERMUTATION_STREAM}). */
    public static final int STREAM = 0x7fff_ff00;
    /** Marsaglia-Tsang attempts per Gamma draw (DENDRITE_MIXUP_ATTEMPTS). */
    public static final int ATTEMPTS = 8;

    private Mixup() {
    }

    /** Sample {@code r}'s lambda, Beta(alpha, alpha), for the step's counter {@code step}. */
    public static float lambda(long seed, int r, int step, int stream, float alpha) {
        float lx = logGammaAny(seed, r, step, stream, alpha);
        float ly = logGammaAny(seed, r, step, stream + ATTEMPTS, alpha);
        return 1.0f / (1.0f + exp(ly - lx));
    }

    /** The partner of sample {@code r} in a batch of {@code n}. */
    public static int partner(long seed, int r, int n, int step, int stream) {
        if (n < 2) {
            return r;
        }
        int[] b = new int[4];
        Philox.block(seed, 0, step, stream + 2 * ATTEMPTS, b);
        long un = n;
        long a = 1 + Integer.toUnsignedLong(b[0]) % (un - 1);
        while (gcd(a, un) != 1) {
            a = a + 1 == un ? 1 : a + 1;
        }
        long off = Integer.toUnsignedLong(b[1]) % un;
        return (int) ((a * r + off) % un);
    }

    /** {@code lam a + (1 - lam) b} rounded once, as the kernels compute it. */
    public static float mix(float lam, float a, float b) {
        return Math.fma(lam, a - b, b);
    }

    /**
     * Rows {@code [from, to)} of the op: writes {@code lambdas[r]}, {@code xOut}'s rows and {@code yOut}'s rows
     * (dense, {@code classes} wide) for a batch of {@code rows}. {@code labels} (class indices) is used when not
     * null, else {@code targets}.
     */
    public static void apply(float[] x, int xo, int[] labels, float[] targets, int yo, int rows, int xWidth,
                             int classes, float alpha, long seed, int step, int stream, float[] xOut, int xoo,
                             float[] yOut, int yoo, float[] lambdas, int lo, int from, int to) {
        for (int r = from; r < to; r++) {
            float lam = lambda(seed, r, step, stream, alpha);
            lambdas[lo + r] = lam;
            int p = partner(seed, r, rows, step, stream);
            for (int c = 0; c < xWidth; c++) {
                xOut[xoo + r * xWidth + c] = mix(lam, x[xo + r * xWidth + c], x[xo + p * xWidth + c]);
            }
            for (int c = 0; c < classes; c++) {
                float a;
                float b;
                if (labels != null) {
                    a = labels[yo + r] == c ? 1f : 0f;
                    b = labels[yo + p] == c ? 1f : 0f;
                } else {
                    a = targets[yo + r * classes + c];
                    b = targets[yo + p * classes + c];
                }
                yOut[yoo + r * classes + c] = mix(lam, a, b);
            }
        }
    }

    private static float logGammaAny(long seed, int r, int step, int stream, float alpha) {
        if (alpha >= 1.0f) {
            return logGamma(seed, r, step, stream, alpha);
        }
        float g = logGamma(seed, r, step, stream, alpha + 1.0f);
        int[] b = new int[4];
        Philox.block(seed, r, step, stream, b);
        float u = ((b[3] >>> 8) + 1) * 0x1.0p-24f;
        return g + log(u) / alpha;
    }

    /** log of a Gamma(shape) draw, shape >= 1 (Marsaglia and Tsang 2000). */
    private static float logGamma(long seed, int r, int step, int stream, float shape) {
        float d = shape - 0.333333333f;
        float c = 1.0f / (float) Math.sqrt(9.0f * d);
        int[] b = new int[4];
        for (int k = 0; k < ATTEMPTS; k++) {
            Philox.block(seed, r, step, stream + k, b);
            float u1 = ((b[0] >>> 8) + 1) * 0x1.0p-24f;
            float u2 = (b[1] >>> 8) * 0x1.0p-24f;
            float z = (float) Math.sqrt(-2.0f * log(u1)) * (float) Math.cos(Math.PI * (2.0f * u2));
            float u = ((b[2] >>> 8) + 1) * 0x1.0p-24f;
            float t = Math.fma(c, z, 1.0f);
            if (t > 0.0f) {
                float v = t * t * t;
                float lv = log(v);
                float bound = Math.fma(0.5f * z, z, d - d * v + d * lv);
                if (log(u) < bound) {
                    return log(d) + lv;
                }
            }
        }
        return log(d);
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static float log(float x) {
        return (float) Math.log(x);
    }

    private static float exp(float x) {
        return (float) Math.exp(x);
    }
}
