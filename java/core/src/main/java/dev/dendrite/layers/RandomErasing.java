package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.backend.PixelAugment;

/**
 * Keras's {@code RandomErasing(factor=1.0, scale=(0.02, 0.33), fill_value, value_range=(0, 255))} (cutout): each
 * training image is erased with a probability drawn from {@code [0, factor]} (or {@code [lower, upper]}); the
 * rectangle's width and height are {@code sqrt(s)} of the image's, each {@code s} drawn from {@code scale}, and it
 * holds {@code fill_value}. Keras fills with noise when fill_value is None; here the fill value is a number
 * (default 0), clipped to the value range.
 */
public final class RandomErasing extends PixelAugmentation {
    public RandomErasing() {
        this(0, 1, 0.02, 0.33, 0, 0, 255);
    }

    public RandomErasing(double factor, double scaleLower, double scaleUpper, double fillValue) {
        this(0, factor, scaleLower, scaleUpper, fillValue, 0, 255);
    }

    public RandomErasing(double lower, double upper, double scaleLower, double scaleUpper, double fillValue,
                         double valueMin, double valueMax) {
        super(new PixelAugment(false, 1, 1, false, 0, 0, (float) valueRange(valueMin, valueMax)[0], (float) valueMax,
                true, (float) checkedRange("RandomErasing factor", lower, upper, 0, 1)[0], (float) upper,
                (float) checkedRange("RandomErasing scale", scaleLower, scaleUpper, 0, 1)[0], (float) scaleUpper,
                (float) Math.min(Math.max(fillValue, valueMin), valueMax)));
    }

    @Override
    public String className() {
        return "RandomErasing";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("factor", pair(spec().eraseLo(), spec().eraseHi()),
                "scale", pair(spec().scaleLo(), spec().scaleHi()),
                "fill_value", (double) spec().eraseValue(),
                "value_range", List.of((double) spec().valueMin(), (double) spec().valueMax()));
    }
}
