package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.AffineAugment;

/**
 * Keras's {@code RandomZoom(height_factor, width_factor=None)}: scales each training image by {@code 1 + f} with
 * {@code f} drawn from the factor's range (a factor {@code f} means {@code [-f, f]}); positive zooms out (the content
 * looks smaller), negative zooms in. Without a width factor the image keeps its aspect ratio (one draw for both).
 */
public final class RandomZoom extends AffineAugmentation {
    private final boolean sameZoom;

    /** Height and width zoomed alike by {@code 1 + f}, {@code f} in {@code [-heightFactor, heightFactor]}. */
    public RandomZoom(double heightFactor) {
        this(-Math.abs(heightFactor), Math.abs(heightFactor), Double.NaN, Double.NaN);
    }

    public RandomZoom(double heightFactor, double widthFactor) {
        this(-Math.abs(heightFactor), Math.abs(heightFactor), -Math.abs(widthFactor), Math.abs(widthFactor));
    }

    /** Ranges of {@code f}; NaN width bounds mean Keras's {@code width_factor=None} (the height's zoom for both). */
    public RandomZoom(double heightLower, double heightUpper, double widthLower, double widthUpper) {
        super(spec(heightLower, heightUpper, widthLower, widthUpper));
        this.sameZoom = Double.isNaN(widthLower);
    }

    private static AffineAugment spec(double hLo, double hHi, double wLo, double wHi) {
        checkedRange("RandomZoom height_factor", hLo, hHi, -0.99, 15);
        boolean same = Double.isNaN(wLo) && Double.isNaN(wHi);
        if (!same) {
            checkedRange("RandomZoom width_factor", wLo, wHi, -0.99, 15);
        }
        float zhLo = (float) (1 + hLo);
        float zhHi = (float) (1 + hHi);
        return AffineAugment.IDENTITY.withZoom(zhLo, zhHi, same ? zhLo : (float) (1 + wLo),
                same ? zhHi : (float) (1 + wHi), same);
    }

    @Override
    public String className() {
        return "RandomZoom";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("height_factor", pair(spec().zoomHeightLo() - 1, spec().zoomHeightHi() - 1));
        c.put("width_factor", sameZoom ? null : pair(spec().zoomWidthLo() - 1, spec().zoomWidthHi() - 1));
        return withFillConfig(c);
    }
}
