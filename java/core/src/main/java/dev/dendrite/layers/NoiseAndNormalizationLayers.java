package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

/**
 * {@link Layers#fromConfig} for GaussianNoise, GaussianDropout, AlphaDropout and LayerNormalization, kept apart so
 * that the families of layers added in parallel each touch {@code Layers} by a few lines only.
 */
final class NoiseAndNormalizationLayers {
    static final String CLASS_NAMES = "GaussianNoise, GaussianDropout, AlphaDropout, LayerNormalization";

    private NoiseAndNormalizationLayers() {
    }

    /** The layer of one of {@link #CLASS_NAMES} from its Keras config. */
    static Layer fromConfig(String className, Map<String, Object> c) {
        switch (className) {
            case "GaussianNoise":
                return new GaussianNoise(Layers.num(c, "stddev").doubleValue());
            case "GaussianDropout":
                return new GaussianDropout(Layers.num(c, "rate").doubleValue());
            case "AlphaDropout":
                return new AlphaDropout(Layers.num(c, "rate").doubleValue());
            case "LayerNormalization":
                return layerNormalization(c);
            default:
                throw new IllegalArgumentException("not a noise or normalisation layer: " + className);
        }
    }

    private static LayerNormalization layerNormalization(Map<String, Object> c) {
        if (Boolean.TRUE.equals(c.get("rms_scaling"))) {
            throw new IllegalArgumentException("LayerNormalization rms_scaling true: RMS normalisation is not"
                    + " supported; expected rms_scaling false");
        }
        LayerNormalization ln = new LayerNormalization();
        Object axis = c.get("axis");
        // Keras writes the axis as an int or a one-element list.
        if (axis instanceof List<?> list && list.size() == 1) {
            axis = list.get(0);
        }
        if (axis != null) {
            if (!(axis instanceof Number)) {
                throw new IllegalArgumentException("LayerNormalization axis " + axis + "; only axis=-1 is supported");
            }
            ln.axis(((Number) axis).intValue());
        }
        if (c.get("epsilon") != null) {
            ln.epsilon(Layers.num(c, "epsilon").doubleValue());
        }
        ln.readWeightConfig(c);
        return ln.center(!Boolean.FALSE.equals(c.get("center"))).scale(!Boolean.FALSE.equals(c.get("scale")));
    }
}
