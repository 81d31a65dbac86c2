package dev.dendrite.backend.cpu;

/**
 * The CPU backend's element-wise inner loops, written so that C2 (JDK 17) turns them into SIMD code.
 *
 * <p>C2's superword pass vectorises a counted loop over float arrays only when it can prove that reordering
 * the loop's loads and stores is safe. It assumes any two float arrays may be the same array, and it compares
 * two accesses only when their indices differ by a compile-time constant; {@code a[i + aOff]} next to
 * {@code b[i + bOff]} with different run-time offsets is not comparable, so the loop stays scalar (measured:
 * five to ten times slower). Every loop here therefore indexes every array with the loop variable alone, over
 * one range {@code [from, to)}. The backend runs them either directly on slices whose offsets agree (the
 * usual case: whole buffers) or on staging tiles it copies to and from ({@code System.arraycopy} is itself
 * vectorised), which costs a copy but no longer depends on the offsets.
 *
 * <p>Conversions between float and double are not vectorised by JDK 17, so the loops here work in float.
 * Each documents why its float evaluation stays within the reference's accuracy.
 */
final class CpuLoops {
    /** {@code U8_TO_F32[b] == b}: a table look-up is cheaper than an int-to-float conversion per byte. */
    private static final float[] U8_TO_F32 = new float[256];

    static {
        for (int i = 0; i < U8_TO_F32.length; i++) {
            U8_TO_F32[i] = i;
        }
    }

    private CpuLoops() {
    }

    /** {@code acc[i] += x[i]}. */
    static void addTo(float[] acc, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            acc[i] += x[i];
        }
    }

    /** {@code x[i] = x[i] * scale[i] + shift[i]}: a product and a sum, each rounded, as the scalar code did. */
    static void affine(float[] x, float[] scale, float[] shift, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] = x[i] * scale[i] + shift[i];
        }
    }

    /**
     * {@code dst[dstOff + i] = src[srcOff + i] & 0xff} for {@code i < n}. Widening a byte to a float is not
     * vectorised by JDK 17 however it is written; the table keeps the scalar loop to a load, a load and a store.
     */
    static void u8ToF32(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        float[] table = U8_TO_F32;
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = table[src[srcOff + i] & 0xff];
        }
    }

    /** Keras SGD without momentum over {@code [from, to)}: {@code p -= lr g} as one fused, correctly rounded step. */
    static void sgd(float[] p, float[] g, int from, int to, float lr) {
        for (int i = from; i < to; i++) {
            p[i] = Math.fma(-lr, g[i], p[i]);
        }
    }

    /** The L2 term of a weight penalty's gradient over {@code [from, to)}: {@code g += twoL2 w}, one rounding. */
    static void addL2Gradient(float[] w, float[] g, int from, int to, float twoL2) {
        for (int i = from; i < to; i++) {
            g[i] = Math.fma(twoL2, w[i], g[i]);
        }
    }

    /**
     * One Kahan step, {@code sum[i] += x}, {@code carry[i]} holding the negated low-order part lost so far (the
     * GPUs' dendrite_kahan_add). Small enough for C2 to inline into the loops below, which it still vectorises.
     */
    private static void kahan(float[] sum, float[] carry, int i, float x) {
        float y = x - carry[i];
        float t = sum[i] + y;
        carry[i] = (t - sum[i]) - y;
        sum[i] = t;
    }

    /** Per column, Kahan: {@code sum[i] += x[i]}. */
    static void kahanAdd(float[] sum, float[] carry, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            kahan(sum, carry, i, x[i]);
        }
    }

    /** Per column, Kahan: {@code sum[i] += x[i]^2} (the norm constraints' sums, kernels/common/constraints.h's). */
    static void kahanAddSquare(float[] sum, float[] carry, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            kahan(sum, carry, i, x[i] * x[i]);
        }
    }

    /** {@code x[i] *= f[i]}. */
    static void multiply(float[] x, float[] f, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] *= f[i];
        }
    }

    /** Per column, Kahan: {@code sum[i] += (x[i] - mean[i])^2}. */
    static void kahanAddSquaredDeviation(float[] sum, float[] carry, float[] x, float[] mean, int from, int to) {
        for (int i = from; i < to; i++) {
            float d = x[i] - mean[i];
            kahan(sum, carry, i, d * d);
        }
    }

    /** In place, {@code x[i] = g[i] (x[i] - mean[i]) inv[i] + b[i]}, in the GPU kernels' order of operations. */
    static void batchNormalize(float[] x, float[] mean, float[] inv, float[] g, float[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] = g[i] * (x[i] - mean[i]) * inv[i] + b[i];
        }
    }

    /** Per column, Kahan sums of {@code dy} and of {@code dy * xhat}, {@code xhat = (x - mean) inv}. */
    static void batchNormGradientSums(float[] sumDy, float[] carryDy, float[] sumDyXhat, float[] carryDyXhat,
                                      float[] x, float[] dy, float[] mean, float[] inv, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = dy[i];
            float xhat = (x[i] - mean[i]) * inv[i];
            kahan(sumDy, carryDy, i, g);
            kahan(sumDyXhat, carryDyXhat, i, g * xhat);
        }
    }

    /** In place over {@code dy}: {@code dx = g inv / n (n dy - sumDy - xhat sumDyXhat)}, as the GPU kernels. */
    static void batchNormInputGradient(float[] x, float[] dy, float[] mean, float[] inv, float[] g, float[] sumDy,
                                       float[] sumDyXhat, float n, int from, int to) {
        for (int i = from; i < to; i++) {
            float xhat = (x[i] - mean[i]) * inv[i];
            dy[i] = g[i] * inv[i] / n * (n * dy[i] - sumDy[i] - xhat * sumDyXhat[i]);
        }
    }
}
