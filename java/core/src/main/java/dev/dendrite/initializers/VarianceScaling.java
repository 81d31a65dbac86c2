package dev.dendrite.initializers;

import java.util.SplittableRandom;

/**
 * Keras's VarianceScaling family: samples whose variance is {@code scale / n}, where {@code n} is the fan-in,
 * the fan-out or their mean. Glorot (Xavier), He and LeCun initialisation are its named cases. The normal
 * variants draw from a normal truncated at two standard deviations and rescale by 0.8796..., the standard
 * deviation of that truncated distribution, so the variance is still {@code scale / n} (as Keras does).
 */
public final class VarianceScaling extends Initializer {
    /** Standard deviation of a unit normal truncated to [-2, 2]. */
    private static final double TRUNCATED_STDDEV = 0.87962566103423978;

    private enum Mode { FAN_IN, FAN_OUT, FAN_AVG }

    private final String name;
    private final double scale;
    private final Mode mode;
    private final boolean uniform;

    private VarianceScaling(String name, double scale, Mode mode, boolean uniform) {
        this.name = name;
        this.scale = scale;
        this.mode = mode;
        this.uniform = uniform;
    }

    /** Uniform in {@code +-sqrt(6 / (fanIn + fanOut))}: Keras's default kernel initializer. */
    public static VarianceScaling glorotUniform() {
        return new VarianceScaling("glorot_uniform", 1, Mode.FAN_AVG, true);
    }

    public static VarianceScaling glorotNormal() {
        return new VarianceScaling("glorot_normal", 1, Mode.FAN_AVG, false);
    }

    /** He et al. (2015), for relu layers: variance {@code 2 / fanIn}. */
    public static VarianceScaling heNormal() {
        return new VarianceScaling("he_normal", 2, Mode.FAN_IN, false);
    }

    public static VarianceScaling heUniform() {
        return new VarianceScaling("he_uniform", 2, Mode.FAN_IN, true);
    }

    /** LeCun normal: variance {@code 1 / fanIn}, the initializer SELU networks need. */
    public static VarianceScaling lecunNormal() {
        return new VarianceScaling("lecun_normal", 1, Mode.FAN_IN, false);
    }

    public static VarianceScaling lecunUniform() {
        return new VarianceScaling("lecun_uniform", 1, Mode.FAN_IN, true);
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        double n = mode == Mode.FAN_IN ? fanIn : mode == Mode.FAN_OUT ? fanOut : (fanIn + fanOut) / 2.0;
        double variance = scale / Math.max(1.0, n);
        if (uniform) {
            double limit = Math.sqrt(3 * variance);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((2 * random.nextDouble() - 1) * limit);
            }
        } else {
            double stddev = Math.sqrt(variance) / TRUNCATED_STDDEV;
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (stddev * truncatedNormal(random));
            }
        }
    }

    @Override
    public String name() {
        return name;
    }
}
