package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.WeightSpec;

/**
 * Moves a compiled model's weights between the host and its backend: {@code weights[li][wi]} is the slice of
 * weight {@code wi} of layer {@code li}, in the order the layer lists its {@link WeightSpec}s (Keras's order).
 */
final class LayerWeights {
    private LayerWeights() {
    }

    /** Fills every weight from its initializer; the same seed gives the same weights on every backend. */
    static void initialize(Backend backend, List<Layer> layers, Slice[][] weights, long initSeed) {
        for (int li = 0; li < layers.size(); li++) {
            List<WeightSpec> specs = layers.get(li).weights();
            for (int wi = 0; wi < specs.size(); wi++) {
                WeightSpec spec = specs.get(wi);
                float[] values = new float[spec.size()];
                SplittableRandom rnd = new SplittableRandom(initSeed * 0x9E3779B97F4A7C15L + li * 1_000_003L + wi);
                spec.initializer().fill(values, spec.fanIn(), spec.fanOut(), rnd);
                backend.upload(values, 0, weights[li][wi]);
            }
        }
    }

    /** Every weight, by layer, then as each layer lists them. */
    static List<float[]> download(Backend backend, Slice[][] weights) {
        List<float[]> out = new ArrayList<>();
        for (Slice[] layer : weights) {
            out.addAll(download(backend, layer));
        }
        return out;
    }

    /** Layer {@code li}'s weights, as the layer lists them. */
    static List<float[]> download(Backend backend, Slice[] layer) {
        List<float[]> out = new ArrayList<>();
        for (Slice w : layer) {
            float[] v = new float[w.length()];
            backend.download(w, v, 0);
            out.add(v);
        }
        return out;
    }

    /** Uploads {@code values} to layer {@code li}'s weights, as the layer lists them, after checking every length. */
    static void upload(Backend backend, List<Layer> layers, Slice[][] weights, int li, List<float[]> values) {
        List<WeightSpec> specs = layers.get(li).weights();
        if (values.size() != weights[li].length) {
            throw new IllegalArgumentException("got " + values.size() + " weight arrays for layer '"
                    + layers.get(li).name() + "'; it has " + weights[li].length + " " + specs);
        }
        for (int wi = 0; wi < weights[li].length; wi++) {
            checkLength(layers, weights, li, wi, values.get(wi));
        }
        for (int wi = 0; wi < weights[li].length; wi++) {
            backend.upload(values.get(wi), 0, weights[li][wi]);
        }
    }

    /** Uploads {@code values}, one array per weight in {@link #download}'s order, after checking every length. */
    static void upload(Backend backend, List<Layer> layers, Slice[][] weights, List<float[]> values) {
        int total = 0;
        for (Slice[] layer : weights) {
            total += layer.length;
        }
        if (values.size() != total) {
            throw new IllegalArgumentException("got " + values.size() + " weight arrays; the model has " + total);
        }
        int i = 0;
        for (int li = 0; li < weights.length; li++) {
            for (int wi = 0; wi < weights[li].length; wi++) {
                float[] v = values.get(i++);
                checkLength(layers, weights, li, wi, v);
                backend.upload(v, 0, weights[li][wi]);
            }
        }
    }

    /** @throws IllegalArgumentException where {@code v} is not weight {@code wi} of layer {@code li}'s length */
    private static void checkLength(List<Layer> layers, Slice[][] weights, int li, int wi, float[] v) {
        if (v.length != weights[li][wi].length()) {
            throw new IllegalArgumentException("weight " + layers.get(li).name() + "/"
                    + layers.get(li).weights().get(wi).name() + " has " + weights[li][wi].length()
                    + " values; got an array of " + v.length);
        }
    }
}
