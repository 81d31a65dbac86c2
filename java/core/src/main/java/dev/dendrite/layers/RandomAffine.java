package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.AffineAugment;

/**
 * Rotation, shift, zoom, shear and flips in one resampling per image, as the legacy {@code ImageDataGenerator}
 * applies them (torchvision calls this {@code RandomAffine}; Keras 3 stacks one layer per transform, which resamples
 * each image once per layer): what {@code ImageDataGenerator.asLayers} gives, a third of the cost of three layers
 * and one interpolation instead of three. The ranges are {@link AffineAugment}'s: angles in turns, shifts as
 * fractions of the height and width, zooms as factors.
 */
public final class RandomAffine extends AffineAugmentation {
    public RandomAffine(AffineAugment spec) {
        super(spec);
    }

    @Override
    public String className() {
        return "RandomAffine";
    }

    @Override
    public Map<String, Object> config() {
        AffineAugment s = spec();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("rotation", pair(s.rotationLo(), s.rotationHi()));
        c.put("height_shift", pair(s.shiftHeightLo(), s.shiftHeightHi()));
        c.put("width_shift", pair(s.shiftWidthLo(), s.shiftWidthHi()));
        c.put("height_zoom", pair(s.zoomHeightLo(), s.zoomHeightHi()));
        c.put("width_zoom", pair(s.zoomWidthLo(), s.zoomWidthHi()));
        c.put("shear", pair(s.shearLo(), s.shearHi()));
        c.put("horizontal_flip", s.flipHorizontal());
        c.put("vertical_flip", s.flipVertical());
        return withFillConfig(c);
    }
}
