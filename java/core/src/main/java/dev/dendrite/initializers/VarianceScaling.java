package dev.dendrite.initializers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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

    private enum Distribution { UNIFORM, TRUNCATED_NORMAL, UNTRUNCATED_NORMAL }

    private final String name;
    private final double scale;
    private final Mode mode;
    private final Distribution distribution;

    private VarianceScaling(String name, double scale, Mode mode, Distribution distribution) {
        this.name = name;
        this.scale = scale;
        this.mode = mode;
        this.distribution = distribution;
    }

    /** Keras's defaults: {@code VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal")}. */
    public VarianceScaling() {
        this(1.0, "fan_in", "truncated_normal");
    }

    /**
     * Keras's {@code VarianceScaling(scale, mode, distribution)}: variance {@code scale / n}, {@code n} by {@code mode}
     * ({@code "fan_in"}, {@code "fan_out"} or {@code "fan_avg"}), drawn from {@code distribution}
     * ({@code "truncated_normal"}, {@code "untruncated_normal"} or {@code "uniform"}).
     *
     * @throws IllegalArgumentException naming a scale that is not positive and finite, or an unknown mode or
     *                                  distribution
     */
    public VarianceScaling(double scale, String mode, String distribution) {
        this("variance_scaling", checkScale(scale), mode(mode), distribution(distribution));
    }

    private static double checkScale(double scale) {
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("variance_scaling scale " + scale + "; expected a finite value > 0");
        }
        return scale;
    }

    private static Mode mode(String mode) {
        switch (String.valueOf(mode)) {
            case "fan_in":
                return Mode.FAN_IN;
            case "fan_out":
                return Mode.FAN_OUT;
            case "fan_avg":
                return Mode.FAN_AVG;
            default:
                throw new IllegalArgumentException("variance_scaling mode '" + mode + "'; expected fan_in, fan_out "
                        + "or fan_avg");
        }
    }

    private static Distribution distribution(String distribution) {
        switch (String.valueOf(distribution)) {
            case "truncated_normal":
                return Distribution.TRUNCATED_NORMAL;
            case "untruncated_normal":
                return Distribution.UNTRUNCATED_NORMAL;
            case "uniform":
                return Distribution.UNIFORM;
            default:
                throw new IllegalArgumentException("variance_scaling distribution '" + distribution + "'; expected "
                        + "truncated_normal, untruncated_normal or uniform");
        }
    }

    /** Uniform in {@code +-sqrt(6 / (fanIn + fanOut))}: Keras's default kernel initializer. */
    public static VarianceScaling glorotUniform() {
        return new VarianceScaling("glorot_uniform", 1, Mode.FAN_AVG, Distribution.UNIFORM);
    }

    public static VarianceScaling glorotNormal() {
        return new VarianceScaling("glorot_normal", 1, Mode.FAN_AVG, Distribution.TRUNCATED_NORMAL);
    }

    /** He et al. (2015), for relu layers: variance {@code 2 / fanIn}. */
    public static VarianceScaling heNormal() {
        return new VarianceScaling("he_normal", 2, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL);
    }

    public static VarianceScaling heUniform() {
        return new VarianceScaling("he_uniform", 2, Mode.FAN_IN, Distribution.UNIFORM);
    }

    /** LeCun normal: variance {@code 1 / fanIn}, the initializer SELU networks need. */
    public static VarianceScaling lecunNormal() {
        return new VarianceScaling("lecun_normal", 1, Mode.FAN_IN, Distribution.TRUNCATED_NORMAL);
    }

    public static VarianceScaling lecunUniform() {
        return new VarianceScaling("lecun_uniform", 1, Mode.FAN_IN, Distribution.UNIFORM);
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        double n = mode == Mode.FAN_IN ? fanIn : mode == Mode.FAN_OUT ? fanOut : (fanIn + fanOut) / 2.0;
        double variance = scale / Math.max(1.0, n);
        if (distribution == Distribution.UNIFORM) {
            double limit = Math.sqrt(3 * variance);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((2 * random.nextDouble() - 1) * limit);
            }
        } else if (distribution == Distribution.TRUNCATED_NORMAL) {
            double stddev = Math.sqrt(variance) / TRUNCATED_STDDEV;
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (stddev * truncatedNormal(random));
            }
        } else {
            double stddev = Math.sqrt(variance);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (stddev * gaussian(random));
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The generic form's arguments, Keras's names; the named ones (glorot_uniform, ...) have none. */
    @Override
    public Map<String, Object> config() {
        if (!name.equals("variance_scaling")) {
            return Map.of();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scale", scale);
        m.put("mode", mode.name().toLowerCase(Locale.ROOT));
        m.put("distribution", distribution.name().toLowerCase(Locale.ROOT));
        return m;
    }
}
