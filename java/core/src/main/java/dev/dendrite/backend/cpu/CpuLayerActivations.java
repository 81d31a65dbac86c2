package dev.dendrite.backend.cpu;

import dev.dendrite.backend.ActivationFunction;

/**
 * The scalar math of the activation and preprocessing layers' own ops (Keras's {@code ReLU} with its three
 * arguments, {@code PReLU}, the Rescaling / Normalization map): the CPU reference, written from Keras's
 * formulas independently of {@code kernels/common/activations.h}, which the GPU backends share.
 *
 * <p>Conventions at the kinks (no formula fixes them; these are TF's and JAX's): the ReLU layer's derivative is
 * 0 at {@code x == threshold} and at {@code x == maxValue}; with a slope, no max value and a zero threshold
 * Keras calls {@code leaky_relu}, whose derivative at 0 is the slope ({@link CpuActivations}). PReLU, computed
 * by Keras as {@code relu(x) - alpha * relu(-x)}, has derivative 0 at 0.
 */
public final class CpuLayerActivations {
    /** Keras's {@code backend.epsilon()}: the floor of Normalization's standard deviation. */
    public static final float NORMALIZATION_EPSILON = 1e-7f;

    private CpuLayerActivations() {
    }

    private static boolean leaky(float slope, float maxValue, float threshold) {
        return slope != 0f && maxValue == Float.POSITIVE_INFINITY && threshold == 0f;
    }

    /** Keras's {@code relu(x, negative_slope, max_value, threshold)}; {@code maxValue} is +Infinity for none. */
    public static float relu(float x, float slope, float maxValue, float threshold) {
        if (leaky(slope, maxValue, threshold)) {
            return CpuActivations.forward(ActivationFunction.LEAKY_RELU, slope, x);
        }
        double v = x > threshold && (threshold != 0f || x > 0f) ? x : 0.0;
        if (maxValue != Float.POSITIVE_INFINITY) {
            v = Math.min(Math.max(v, 0.0), maxValue);
        }
        double below = (double) threshold - x;
        return (float) (below > 0 ? v - slope * below : v);
    }

    /** The derivative of {@link #relu} with respect to {@code x}. */
    public static float reluDerivative(float x, float slope, float maxValue, float threshold) {
        if (leaky(slope, maxValue, threshold)) {
            return CpuActivations.derivative(ActivationFunction.LEAKY_RELU, slope, x, 0f);
        }
        boolean clipped = maxValue != Float.POSITIVE_INFINITY && !(x > 0f && x < maxValue);
        if (x > threshold && !clipped) {
            return 1f;
        }
        return x < threshold ? slope : 0f;
    }

    public static float prelu(float x, float alpha) {
        return x > 0f ? x : x < 0f ? (float) ((double) alpha * x) : 0f;
    }

    public static float preluDerivative(float x, float alpha) {
        return x > 0f ? 1f : x < 0f ? alpha : 0f;
    }

    /** {@code (x - mean) / max(sqrt(variance), 1e-7) * scale + offset}, evaluated in double, rounded once. */
    public static float featureAffine(float x, float mean, float variance, float scale, float offset) {
        double sd = Math.max(Math.sqrt(variance), NORMALIZATION_EPSILON);
        return (float) (((double) x - mean) / sd * scale + offset);
    }
}
