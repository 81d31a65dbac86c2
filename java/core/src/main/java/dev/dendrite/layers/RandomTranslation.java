package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.AffineAugment;

/**
 * Keras's {@code RandomTranslation(height_factor, width_factor)}: shifts each training image by fractions of its
 * height and width drawn from the factors' ranges (a factor {@code f} means {@code [-f, f]}); positive moves the
 * content down and right.
 */
public final class RandomTranslation extends AffineAugmentation {
    public RandomTranslation(double heightFactor, double widthFactor) {
        this(-Math.abs(heightFactor), Math.abs(heightFactor), -Math.abs(widthFactor), Math.abs(widthFactor));
    }

    public RandomTranslation(double heightLower, double heightUpper, double widthLower, double widthUpper) {
        super(AffineAugment.IDENTITY.withShift((float) heightLower, (float) heightUpper, (float) widthLower,
                (float) widthUpper));
        checkedRange("RandomTranslation height_factor", heightLower, heightUpper, -1, 1);
        checkedRange("RandomTranslation width_factor", widthLower, widthUpper, -1, 1);
    }

    @Override
    public String className() {
        return "RandomTranslation";
    }

    @Override
    public Map<String, Object> config() {
        return withFillConfig(Map.of("height_factor", pair(spec().shiftHeightLo(), spec().shiftHeightHi()),
                "width_factor", pair(spec().shiftWidthLo(), spec().shiftWidthHi())));
    }
}
