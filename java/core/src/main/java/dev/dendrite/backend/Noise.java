package dev.dendrite.backend;

/**
 * The definition of the noise layers' randomness and constants, which every backend follows: the CPU computes
 * these functions, the CUDA and OpenCL kernels the same ones in float (kernels/common/noise.h).
 *
 * <p>A standard normal value is drawn by Box-Muller from the Philox block of the element's coordinates (the
 * dropout coordinates, {@link Philox#uniform}'s): element {@code i} takes the block for counter
 * {@code (i >>> 2, step, stream, 0)}, its words {@code (i & 2, (i & 2) + 1)} as {@code u1 = ((w >>> 8) + 1) 2^-24}
 * in (0, 1] and {@code u2 = (w >>> 8) 2^-24}, and {@code sqrt(-2 ln u1)} times {@code cos(2 pi u2)} (i even) or
 * {@code sin(2 pi u2)} (i odd). So the noise of a step is a pure function of (seed, step, stream, i): the backward
 * pass regenerates it, and a seed gives the same noise on every backend (the GPUs' float {@code log}, {@code cospi}
 * and {@code sinpi} differ from this double computation by a few ulps; the integers they start from are the same
 * bits). The 24-bit {@code u1} bounds {@code |z|} by {@link #MAX_NORMAL}; the normal's mass beyond is 8e-9.
 */
public final class Noise {
    /** SELU's alpha and scale (Klambauer et al., 2017), as Keras writes them. */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    public static final double SELU_SCALE = 1.0507009873554804934193349852946;
    /** The value AlphaDropout gives a dropped unit before its affine correction: SELU's negative saturation. */
    public static final double ALPHA_P = -SELU_ALPHA * SELU_SCALE;
    /** The largest {@code |z|} Box-Muller on 24-bit uniforms can give: {@code sqrt(-2 ln 2^-24)}. */
    public static final double MAX_NORMAL = Math.sqrt(-2 * Math.log(0x1.0p-24));

    private Noise() {
    }

    /** The standard normal of element {@code index} for {@code (seed, step, stream)}. */
    public static float normal(long seed, int index, int step, int stream) {
        int[] words = new int[4];
        Philox.block(seed, index >>> 2, step, stream, words);
        return normal(words, index);
    }

    /** The standard normal of element {@code index}, given the four words of its block. */
    public static float normal(int[] words, int index) {
        int p = index & 2;
        double u1 = ((words[p] >>> 8) + 1) * 0x1.0p-24;
        double u2 = (words[p + 1] >>> 8) * 0x1.0p-24;
        double radius = Math.sqrt(-2 * Math.log(u1));
        double angle = 2 * Math.PI * u2;
        return (float) (radius * ((index & 1) != 0 ? Math.sin(angle) : Math.cos(angle)));
    }

    /** GaussianDropout's standard deviation of the multiplicative noise: {@code sqrt(rate / (1 - rate))}. */
    public static float gaussianDropoutSigma(float rate) {
        return (float) Math.sqrt(rate / (1.0 - rate));
    }

    /** AlphaDropout's scale {@code a = ((1 - rate)(1 + rate alpha'^2))^-1/2} (Keras 3). */
    public static float alphaDropoutScale(float rate) {
        return (float) alphaScale(rate);
    }

    /** AlphaDropout's shift {@code b = -a alpha' rate}. */
    public static float alphaDropoutShift(float rate) {
        return (float) (-alphaScale(rate) * ALPHA_P * rate);
    }

    /** What AlphaDropout outputs for a dropped unit: {@code a alpha' + b}. */
    public static float alphaDropoutDropped(float rate) {
        double a = alphaScale(rate);
        return (float) (a * ALPHA_P - a * ALPHA_P * rate);
    }

    private static double alphaScale(float rate) {
        return 1.0 / Math.sqrt((1.0 - rate) * (1.0 + rate * ALPHA_P * ALPHA_P));
    }
}
