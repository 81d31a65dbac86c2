package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.AffineAugment;

/**
 * Keras's {@code RandomFlip(mode)}: mirrors each training image with probability 1/2, left to right
 * ({@code "horizontal"}), top to bottom ({@code "vertical"}) or each independently
 * ({@code "horizontal_and_vertical"}, the default).
 */
public final class RandomFlip extends AffineAugmentation {
    private final String mode;

    public RandomFlip() {
        this("horizontal_and_vertical");
    }

    public RandomFlip(String mode) {
        super(AffineAugment.IDENTITY.withFlips(horizontal(mode), !"horizontal".equals(mode)));
        this.mode = mode;
    }

    private static boolean horizontal(String mode) {
        if (!"horizontal".equals(mode) && !"vertical".equals(mode) && !"horizontal_and_vertical".equals(mode)) {
            throw new IllegalArgumentException("RandomFlip mode '" + mode
                    + "'; expected horizontal, vertical or horizontal_and_vertical");
        }
        return !"vertical".equals(mode);
    }

    @Override
    public String className() {
        return "RandomFlip";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("mode", mode);
    }
}
