package dev.dendrite.backend;

import java.util.Locale;

/**
 * The element-wise activations every backend implements, with Keras's names. Ops that take an activation
 * also take a {@code float alpha}: the negative slope of {@link #LEAKY_RELU} and the saturation of
 * {@link #ELU}; other activations ignore it (those of Keras's with a parameter, {@link #CELU},
 * {@link #SOFT_SHRINK}, {@link #HARD_SHRINK} and {@link #SQUAREPLUS}, take the default that the name alone gives
 * in Keras 3, {@code Dense(10, activation="celu")}).
 *
 * <p>{@link #SOFTMAX} is the one activation that is not element-wise: it normalises each row. Keras's
 * {@code log_softmax}, {@code sparsemax}, {@code glu} (which halves the last axis) and {@code threshold} (which has
 * no default arguments) are not here.
 *
 * <p>Each function is Keras 3's ({@code keras.activations}); where a derivative has a kink, the value there is the
 * one JAX's autodiff gives, except where the constant's Javadoc says otherwise. {@code bench/keras/
 * activations_fixture.py} and {@code KerasActivationsTest} check every one against Keras itself.
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
    SWISH("swish"),
    /** {@code log(1 + exp(x))}; its derivative is the sigmoid. */
    SOFTPLUS("softplus"),
    /** {@code x / (1 + |x|)}. */
    SOFTSIGN("softsign"),
    /** {@code min(max(x, 0), 6)}; the derivative is 0 at 0 and at 6. */
    RELU6("relu6"),
    /**
     * Keras 3's {@code relu6(x + 3) / 6}: 0 below -3, 1 above 3 (the derivative is 0 at both). Keras 2 (tf.keras)
     * defined it as {@code clip(0.2 x + 0.5, 0, 1)} instead, so a Keras 2 model with it predicts differently here.
     */
    HARD_SIGMOID("hard_sigmoid"),
    /** {@code x * hard_sigmoid(x)}, also called hard swish; the derivative is 0 at -3 and 1 at 3. */
    HARD_SILU("hard_silu"),
    /** Mish (Misra, 2019), {@code x * tanh(softplus(x))}. */
    MISH("mish"),
    /** {@code exp(x)}; infinite above about 88.7, where the float overflows. */
    EXPONENTIAL("exponential"),
    /** CELU with Keras's default alpha 1, which makes it ELU's {@code x > 0 ? x : exp(x) - 1}. */
    CELU("celu"),
    /** {@code log(sigmoid(x)) = -softplus(-x)}. */
    LOG_SIGMOID("log_sigmoid"),
    /** {@code x - tanh(x)}. */
    TANH_SHRINK("tanh_shrink"),
    /** {@code clip(x, -1, 1)}; the derivative is 1 at -1 and at 1, as in JAX and TensorFlow. */
    HARD_TANH("hard_tanh"),
    /** Keras's default threshold 0.5: {@code x - 0.5} above it, {@code x + 0.5} below -0.5, 0 between. */
    SOFT_SHRINK("soft_shrink"),
    /** Keras's default threshold 0.5: {@code x} where {@code |x| > 0.5}, 0 elsewhere. */
    HARD_SHRINK("hard_shrink"),
    /** 0 up to -1, {@code (x + 1)^2 / 4} between, {@code x} from 1 on: softplus made of pieces. */
    SPARSE_PLUS("sparse_plus"),
    /**
     * 0 up to -1, {@code (x + 1) / 2} between, 1 from 1 on. The derivative is 0 at -1 and at 1 (JAX takes the
     * mean of the two sides there, 0.25).
     */
    SPARSE_SIGMOID("sparse_sigmoid"),
    /** Keras's default b 4: {@code (x + sqrt(x^2 + 4)) / 2}, a smooth relu. */
    SQUAREPLUS("squareplus");

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
     * Parses a Keras activation name ({@code "relu"}, {@code "leaky_relu"}, {@code "silu"},
     * {@code "hard_swish"} ...). {@code null} and {@code "linear"} give {@link #LINEAR}.
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
            case "hard_swish":
                return HARD_SILU;
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
