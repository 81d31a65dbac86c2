package dev.dendrite.backend;

import java.util.Locale;

/**
 * How an augmentation fills the points it reads from outside the image (Keras's {@code fill_mode}); the codes are
 * those of {@code kernels/common/augment.h}.
 */
public enum FillMode {
    /** {@code (k k k k | a b c d | k k k k)}: the fill value. */
    CONSTANT,
    /** {@code (a a a a | a b c d | d d d d)}: the nearest edge pixel. */
    NEAREST,
    /** {@code (d c b a | a b c d | d c b a)}: mirrored about the edge, the edge pixel repeated. */
    REFLECT,
    /** {@code (a b c d | a b c d | a b c d)}: the image tiled. */
    WRAP;

    /** The kernels' code ({@code DENDRITE_FILL_*}). */
    public int code() {
        return ordinal();
    }

    /** Keras's name, e.g. {@code "reflect"}. */
    public String kerasName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The fill mode Keras calls {@code name}.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static FillMode fromName(String name) {
        for (FillMode m : values()) {
            if (m.kerasName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("fill_mode '" + name + "'; expected one of constant, nearest, reflect, wrap");
    }
}
