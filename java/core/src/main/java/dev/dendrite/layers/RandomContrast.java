package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.backend.PixelAugment;

/**
 * Keras's {@code RandomContrast(factor, value_range=(0, 255))}: each training image becomes
 * {@code (x - mean) * c + mean} with {@code c} drawn from {@code [1 - lower, 1 + upper]} (a factor {@code f} means
 * {@code lower = upper = f}), clipped to the value range. Give {@code valueRange(0, 1)} for scaled pixels.
 */
public final class RandomContrast extends PixelAugmentation {
    public RandomContrast(double factor) {
        this(factor, factor, 0, 255);
    }

    public RandomContrast(double factor, double valueMin, double valueMax) {
        this(factor, factor, valueMin, valueMax);
    }

    public RandomContrast(double lower, double upper, double valueMin, double valueMax) {
        super(new PixelAugment(true, (float) (1 - checkedRange("RandomContrast factor", lower, upper, 0, 1)[0]),
                (float) (1 + upper), false, 0, 0, (float) valueRange(valueMin, valueMax)[0], (float) valueMax, false,
                0, 0, 0, 0, 0));
    }

    @Override
    public String className() {
        return "RandomContrast";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("factor", pair(1 - spec().contrastLo(), spec().contrastHi() - 1),
                "value_range", List.of((double) spec().valueMin(), (double) spec().valueMax()));
    }
}
