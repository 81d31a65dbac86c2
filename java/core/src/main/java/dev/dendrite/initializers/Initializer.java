package dev.dendrite.initializers;

import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fills a new weight with its starting values, as Keras's initializers do. Shapes follow Keras: a Dense
 * kernel is {@code [in, out]}, so {@code fanIn = in} and {@code fanOut = out}; a bias or a batch-norm vector
 * of length {@code n} has {@code fanIn = fanOut = n}.
 *
 * <p>Initializers are pure functions of their random stream, so a model built with the same seed starts
 * from the same weights.
 */
public abstract class Initializer {

    /** Writes {@code values.length} starting values for a weight with the given fans. */
    public abstract void fill(float[] values, int fanIn, int fanOut, SplittableRandom random);

    /** Keras's name of this initializer, e.g. {@code "glorot_uniform"}. */
    public abstract String name();

    /** The constructor arguments, for the model file (empty when there are none). */
    public Map<String, Object> config() {
        return Map.of();
    }

    /**
     * Parses a Keras initializer name: {@code zeros, ones, random_normal, random_uniform, truncated_normal,
     * glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, variance_scaling, orthogonal}
     * (CamelCase accepted too), with Keras's default arguments.
     *
     * @throws IllegalArgumentException naming the unknown value and the accepted ones
     */
    public static Initializer fromName(String name) {
        switch (key(name)) {
            case "zeros":
            case "zero":
                return new Constant(0);
            case "ones":
            case "one":
                return new Constant(1);
            case "random_normal":
            case "normal":
                return new RandomNormal();
            case "random_uniform":
            case "uniform":
                return new RandomUniform();
            case "glorot_uniform":
            case "xavier_uniform":
                return VarianceScaling.glorotUniform();
            case "glorot_normal":
            case "xavier_normal":
                return VarianceScaling.glorotNormal();
            case "he_normal":
                return VarianceScaling.heNormal();
            case "he_uniform":
                return VarianceScaling.heUniform();
            case "lecun_normal":
                return VarianceScaling.lecunNormal();
            case "lecun_uniform":
                return VarianceScaling.lecunUniform();
            case "truncated_normal":
                return new TruncatedNormal();
            case "variance_scaling":
                return new VarianceScaling();
            case "orthogonal":
                return new Orthogonal();
            default:
                throw new IllegalArgumentException("unknown initializer '" + name + "'; expected one of: zeros, "
                        + "ones, random_normal, random_uniform, truncated_normal, glorot_uniform, glorot_normal, "
                        + "he_normal, he_uniform, lecun_normal, lecun_uniform, variance_scaling, orthogonal");
        }
    }

    /** A name as the switches spell it: Keras's class names ({@code RandomNormal}) and hyphens in snake case. */
    private static String key(String name) {
        return name == null ? "" : name.trim().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT)
                .replace('-', '_');
    }

    /**
     * Rebuilds an initializer from {@link #name()} and {@link #config()}, or from a Keras file's {@code class_name}
     * ({@code "RandomNormal"}, {@code "Constant"}) and config, whose arguments are kept.
     */
    public static Initializer fromConfig(String name, Map<String, Object> config) {
        switch (key(name)) {
            case "constant":
                return new Constant(num(config, "value", 0));
            case "random_normal":
                return new RandomNormal(num(config, "mean", 0), num(config, "stddev", 0.05));
            case "random_uniform":
                return new RandomUniform(num(config, "minval", -0.05), num(config, "maxval", 0.05));
            case "truncated_normal":
                return new TruncatedNormal(num(config, "mean", 0), num(config, "stddev", 0.05));
            case "variance_scaling":
                return new VarianceScaling(num(config, "scale", 1), String.valueOf(config.getOrDefault("mode",
                        "fan_in")), String.valueOf(config.getOrDefault("distribution", "truncated_normal")));
            case "orthogonal":
                return new Orthogonal(num(config, "gain", 1));
            default:
                return fromName(name);
        }
    }

    static double num(Map<String, Object> config, String key, double fallback) {
        Object v = config.get(key);
        return v instanceof Number ? ((Number) v).doubleValue() : fallback;
    }

    /** A standard normal sample truncated to [-2, 2] (resampled outside), as Keras's truncated normal. */
    static double truncatedNormal(SplittableRandom random) {
        while (true) {
            double z = gaussian(random);
            if (Math.abs(z) <= 2) {
                return z;
            }
        }
    }

    /** Box-Muller; SplittableRandom has no nextGaussian on Java 17. */
    static double gaussian(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override
    public String toString() {
        return name() + (config().isEmpty() ? "" : config().toString());
    }
}
