package dev.dendrite.backend;

import java.util.Locale;

/** How an augmentation reads between pixels (Keras's {@code interpolation}); codes of {@code augment.h}. */
public enum Interpolation {
    /** The nearest pixel (halves round up). */
    NEAREST,
    /** The four nearest pixels, weighted by distance. */
    BILINEAR;

    /** The kernels' code ({@code DENDRITE_INTERPOLATION_*}). */
    public int code() {
        return ordinal();
    }

    /** Keras's name, e.g. {@code "bilinear"}. */
    public String kerasName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The interpolation Keras calls {@code name}.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static Interpolation fromName(String name) {
        for (Interpolation m : values()) {
            if (m.kerasName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("interpolation '" + name + "'; expected nearest or bilinear");
    }
}
