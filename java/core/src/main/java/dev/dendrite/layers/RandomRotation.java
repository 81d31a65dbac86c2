package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.AffineAugment;

/**
 * Keras's {@code RandomRotation(factor)}: turns each training image by an angle drawn from
 * {@code [lower, upper] * 2 pi} (a factor {@code f} means {@code [-f, f]}); positive turns counter-clockwise.
 * {@code RandomRotation(0.1)} turns by up to 36 degrees either way.
 */
public final class RandomRotation extends AffineAugmentation {
    public RandomRotation(double factor) {
        this(-Math.abs(factor), Math.abs(factor));
    }

    public RandomRotation(double lower, double upper) {
        super(AffineAugment.IDENTITY.withRotation((float) lower, (float) upper));
        checkedRange("RandomRotation factor", lower, upper, -1, 1);
    }

    @Override
    public String className() {
        return "RandomRotation";
    }

    @Override
    public Map<String, Object> config() {
        return withFillConfig(Map.of("factor", pair(spec().rotationLo(), spec().rotationHi())));
    }
}
