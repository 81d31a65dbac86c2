package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.backend.AffineAugment;

/** Rebuilds the augmentation layers from a model file's config (for {@link Layers#fromConfig}). */
final class Augmentations {
    static final String NAMES = "RandomRotation, RandomTranslation, RandomZoom, RandomFlip, RandomContrast, "
            + "RandomBrightness, RandomErasing, RandomAffine";

    private Augmentations() {
    }

    /** The layer, or null when {@code className} is no augmentation. */
    static Layer fromConfig(String className, Map<String, Object> c) {
        switch (className) {
            case "RandomRotation": {
                double[] f = range(c.get("factor"));
                return fill(new RandomRotation(f[0], f[1]), c);
            }
            case "RandomTranslation": {
                double[] h = range(c.get("height_factor"));
                double[] w = range(c.get("width_factor"));
                return fill(new RandomTranslation(h[0], h[1], w[0], w[1]), c);
            }
            case "RandomZoom": {
                double[] h = range(c.get("height_factor"));
                double[] w = c.get("width_factor") == null ? new double[] {Double.NaN, Double.NaN}
                        : range(c.get("width_factor"));
                return fill(new RandomZoom(h[0], h[1], w[0], w[1]), c);
            }
            case "RandomAffine": {
                double[] r = range(c.get("rotation"));
                double[] th = range(c.get("height_shift"));
                double[] tw = range(c.get("width_shift"));
                double[] zh = range(c.get("height_zoom"));
                double[] zw = range(c.get("width_zoom"));
                double[] sh = range(c.get("shear"));
                AffineAugment spec = AffineAugment.IDENTITY.withRotation((float) r[0], (float) r[1])
                        .withShift((float) th[0], (float) th[1], (float) tw[0], (float) tw[1])
                        .withZoom((float) zh[0], (float) zh[1], (float) zw[0], (float) zw[1], false)
                        .withShear((float) sh[0], (float) sh[1])
                        .withFlips(Boolean.TRUE.equals(c.get("horizontal_flip")),
                                Boolean.TRUE.equals(c.get("vertical_flip")));
                return fill(new RandomAffine(spec), c);
            }
            case "RandomFlip":
                return new RandomFlip((String) c.get("mode"));
            case "RandomContrast": {
                double[] f = range(c.get("factor"));
                double[] v = range(c.get("value_range"));
                return new RandomContrast(f[0], f[1], v[0], v[1]);
            }
            case "RandomBrightness": {
                double[] f = range(c.get("factor"));
                double[] v = range(c.get("value_range"));
                return new RandomBrightness(f[0], f[1], v[0], v[1]);
            }
            case "RandomErasing": {
                double[] f = range(c.get("factor"));
                double[] s = range(c.get("scale"));
                double[] v = range(c.get("value_range"));
                return new RandomErasing(f[0], f[1], s[0], s[1], ((Number) c.get("fill_value")).doubleValue(), v[0],
                        v[1]);
            }
            default:
                return null;
        }
    }

    private static Layer fill(AffineAugmentation layer, Map<String, Object> c) {
        return layer.fillMode((String) c.get("fill_mode")).interpolation((String) c.get("interpolation"))
                .fillValue(((Number) c.get("fill_value")).doubleValue());
    }

    /** Keras's factor: a number f for [-f, f], or a pair. */
    private static double[] range(Object v) {
        if (v instanceof Number n) {
            return ImageAugmentation.symmetric(n.doubleValue());
        }
        List<?> l = (List<?>) v;
        if (l.size() != 2) {
            throw new IllegalArgumentException("range " + v + "; expected a number or two numbers");
        }
        return new double[] {((Number) l.get(0)).doubleValue(), ((Number) l.get(1)).doubleValue()};
    }
}
