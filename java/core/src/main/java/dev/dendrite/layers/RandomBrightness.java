package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.backend.PixelAugment;

/**
 * Keras's {@code RandomBrightness(factor, value_range=(0, 255))}: adds {@code f * (max - min)} to each training
 * image, {@code f} drawn from {@code [lower, upper]} within [-1, 1] (a factor {@code f} means {@code [-f, f]}),
 * clipped to the value range {@code [min, max]}.
 */
public final class RandomBrightness extends PixelAugmentation {
    public RandomBrightness(double factor) {
        this(-Math.abs(factor), Math.abs(factor), 0, 255);
    }

    public RandomBrightness(double lower, double upper, double valueMin, double valueMax) {
        super(new PixelAugment(false, 1, 1, true, (float) checkedRange("RandomBrightness factor", lower, upper, -1,
                1)[0], (float) upper, (float) valueRange(valueMin, valueMax)[0], (float) valueMax, false, 0, 0, 0, 0,
                0));
    }

    @Override
    public String className() {
        return "RandomBrightness";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("factor", pair(spec().brightnessLo(), spec().brightnessHi()),
                "value_range", List.of((double) spec().valueMin(), (double) spec().valueMax()));
    }
}
