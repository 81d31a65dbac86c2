package dev.dendrite.backend;

import java.util.Locale;

/**
 * The element-wise activations every backend implements, with Keras's names. Ops that take an activation
 * also take a {@code float alpha}: the negative slope of {@link #LEAKY_RELU} and the saturation of
 * {@link #ELU}; other activations ignore it.
 *
 * <p>{@link #SOFTMAX} is the one activation that is not element-wise: it normalises each row.
 */
public enum ActivationFunction {
    LINEAR("linear"),
    RELU("relu"),
    SIGMOID("sigmoid"),
    TANH("tanh"),
    SOFTMAX("softmax"),
    /** Scaled ELU with the constants of Klambauer et al. (2017), as in Keras. */
    SELU("selu"),
    ELU("elu"),
    LEAKY_RELU("leaky_relu"),
    /** Exact GELU, {@code x * Phi(x)} with the normal CDF (Keras's default, {@code approximate=False}). */
    GELU("gelu"),
    /** {@code x * sigmoid(x)}, also called SiLU. */
    SWISH("swish");

    /** Keras's default negative slope for the {@code leaky_relu} activation function. */
    public static final float DEFAULT_LEAKY_RELU_ALPHA = 0.2f;
    /** Keras's default {@code alpha} for {@code elu}. */
    public static final float DEFAULT_ELU_ALPHA = 1.0f;

    private final String kerasName;

    ActivationFunction(String kerasName) {
        this.kerasName = kerasName;
    }

    /** The name Keras uses, e.g. {@code "leaky_relu"}. */
    public String kerasName() {
        return kerasName;
    }

    /**
     * Whether the derivative at the pre-activation z is a function of the output y = f(z) alone, bit for bit: relu's
     * {@code z > 0} is {@code y > 0} (NaN and -0 included), linear's is 1 whatever z is. The layers then hand the
     * backward ops y in z's place, so that {@link Backend#denseForward} may leave z unwritten for them (the CUDA
     * backend's cuBLASLt epilogue writes y alone, in the product's own kernel).
     */
    public boolean derivativeFromOutput() {
        return this == RELU || this == LINEAR;
    }

    /** The alpha this activation uses when none is given. */
    public float defaultAlpha() {
        return this == ELU ? DEFAULT_ELU_ALPHA : this == LEAKY_RELU ? DEFAULT_LEAKY_RELU_ALPHA : 0f;
    }

    /**
     * Parses a Keras activation name ({@code "relu"}, {@code "leaky_relu"}, {@code "silu"} ...). {@code null}
     * and {@code "linear"} give {@link #LINEAR}.
     *
     * @throws IllegalArgumentException naming the unknown value and the accepted ones
     */
    public static ActivationFunction fromName(String name) {
        if (name == null) {
            return LINEAR;
        }
        String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        switch (n) {
            case "":
            case "none":
            case "identity":
                return LINEAR;
            case "leakyrelu":
                return LEAKY_RELU;
            case "silu":
                return SWISH;
            default:
                break;
        }
        for (ActivationFunction a : values()) {
            if (a.kerasName.equals(n)) {
                return a;
            }
        }
        StringBuilder known = new StringBuilder();
        for (ActivationFunction a : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(a.kerasName);
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of: " + known);
    }
}
