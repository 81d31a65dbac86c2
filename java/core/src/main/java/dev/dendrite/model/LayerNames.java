package dev.dendrite.model;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.layers.Layer;

/**
 * Keras's automatic layer names: a layer without a name is called after its class in snake case, numbered from
 * the second of its kind ({@code dense}, {@code dense_1}, ...), and no two layers of a model may share a name
 * (the model file keys weights by them).
 */
final class LayerNames {
    private LayerNames() {
    }

    /** Names the unnamed {@code layers} in order and checks that every name is unique. */
    static void assign(List<Layer> layers) {
        Map<String, Integer> counts = new HashMap<>();
        for (Layer layer : layers) {
            String base = snakeCase(layer.className());
            int k = counts.merge(base, 1, Integer::sum) - 1;
            layer.assignNameIfAbsent(k == 0 ? base : base + "_" + k);
        }
        Map<String, Layer> seen = new HashMap<>();
        for (Layer layer : layers) {
            Layer other = seen.put(layer.name(), layer);
            if (other != null) {
                throw new IllegalArgumentException("two layers are named '" + layer.name() + "'");
            }
        }
    }

    /** {@code BatchNormalization} to {@code batch_normalization}. */
    static String snakeCase(String className) {
        return className.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
