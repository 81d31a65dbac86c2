package dev.dendrite.io;

import java.util.Locale;

/**
 * The bounds every Dendrite reader puts on what a file may claim, so that a small hostile or damaged file (a
 * gzip bomb, an image header declaring 60000 x 60000 pixels, a model header describing gigabytes of tensors)
 * fails at once with a clear message instead of exhausting memory or burning minutes of CPU.
 *
 * <p>Each limit is a system property, read whenever a file is opened, so a user whose real files need more can
 * raise it without code: {@code java -Ddendrite.io.maxImagePixels=200000000 -jar dendrite-cli.jar ...}, or
 * {@code System.setProperty(ReadLimits.MAX_IMAGE_PIXELS, "200000000")} in a program. Every rejection names the
 * file, the value it claimed, the limit and the property that raises it.
 *
 * <table>
 * <caption>Limits</caption>
 * <tr><th>property</th><th>default</th><th>bounds</th></tr>
 * <tr><td>{@value #MAX_IDX_BYTES}</td><td>1 GiB</td><td>the data bytes an IDX file (plain or inflated from gzip)
 *     may declare; EMNIST's largest file declares 547 MB</td></tr>
 * <tr><td>{@value #MAX_IMAGE_PIXELS}</td><td>64,000,000</td><td>width x height of a picture given to
 *     {@code ImageLoader}, read from its header before anything is decoded (an 8000 x 8000 photo)</td></tr>
 * <tr><td>{@value #MAX_SAFETENSORS_HEADER_BYTES}</td><td>100,000,000</td><td>the JSON header of a
 *     .safetensors or model file (the reference implementation's bound)</td></tr>
 * <tr><td>{@value #ALLOW_NON_FINITE_WEIGHTS}</td><td>false</td><td>whether a model whose weights hold NaN or
 *     infinities may be loaded</td></tr>
 * </table>
 *
 * <p>Limits that need no setting because the file itself bounds them: a safetensors tensor's bytes must lie
 * inside the file, and a model's configuration must match the tensors stored with it before any weight is
 * allocated; JSON nesting stops at {@link Json#MAX_DEPTH}.
 */
public final class ReadLimits {
    /** System property: the largest IDX data, in bytes. */
    public static final String MAX_IDX_BYTES = "dendrite.io.maxIdxBytes";
    /** System property: the most pixels (width x height) of an image. */
    public static final String MAX_IMAGE_PIXELS = "dendrite.io.maxImagePixels";
    /** System property: the largest safetensors header, in bytes. */
    public static final String MAX_SAFETENSORS_HEADER_BYTES = "dendrite.io.maxSafetensorsHeaderBytes";
    /** System property: {@code true} loads models whose weights hold NaN or infinities. */
    public static final String ALLOW_NON_FINITE_WEIGHTS = "dendrite.io.allowNonFiniteWeights";

    static final long DEFAULT_MAX_IDX_BYTES = 1L << 30;
    static final long DEFAULT_MAX_IMAGE_PIXELS = 64_000_000L;
    static final long DEFAULT_MAX_SAFETENSORS_HEADER_BYTES = 100_000_000L;

    private ReadLimits() {
    }

    /** The largest IDX data in bytes ({@value #MAX_IDX_BYTES}, default 1 GiB). */
    public static long maxIdxBytes() {
        return positive(MAX_IDX_BYTES, DEFAULT_MAX_IDX_BYTES);
    }

    /** The most pixels of one image ({@value #MAX_IMAGE_PIXELS}, default 64,000,000). */
    public static long maxImagePixels() {
        return positive(MAX_IMAGE_PIXELS, DEFAULT_MAX_IMAGE_PIXELS);
    }

    /** The largest safetensors header in bytes ({@value #MAX_SAFETENSORS_HEADER_BYTES}, default 100,000,000). */
    public static long maxSafetensorsHeaderBytes() {
        return positive(MAX_SAFETENSORS_HEADER_BYTES, DEFAULT_MAX_SAFETENSORS_HEADER_BYTES);
    }

    /** Whether models with NaN or infinite weights may be loaded ({@value #ALLOW_NON_FINITE_WEIGHTS}). */
    public static boolean allowNonFiniteWeights() {
        String v = System.getProperty(ALLOW_NON_FINITE_WEIGHTS);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false", "" -> false;
            default -> throw new IllegalArgumentException("system property " + ALLOW_NON_FINITE_WEIGHTS + "=" + v
                    + "; expected true or false");
        };
    }

    /** The sentence every rejection ends with: how to raise {@code property}. */
    public static String howToRaise(String property) {
        return "a real file that needs more can raise the limit with -D" + property + "=N";
    }

    private static long positive(String property, long fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.trim().replace("_", ""));
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + property + "=" + v
                + "; expected a positive whole number");
    }
}
