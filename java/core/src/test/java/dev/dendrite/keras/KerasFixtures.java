package dev.dendrite.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Layers;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * What the tests against Keras fixtures share (the JSON files that bench/keras/*.py write with Keras 3 itself):
 * reading one from the test resources, its named cases, and its nested number lists as flat arrays.
 */
public final class KerasFixtures {
    private KerasFixtures() {
    }

    /** Copies the resource {@code name} beside {@code anchor}'s package (a Keras file) into {@code dir}. */
    public static Path copy(Class<?> anchor, Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = anchor.getResourceAsStream(name)) {
            assertNotNull(in, name + " is on the test class path");
            Files.copy(in, file);
        }
        return file;
    }

    /**
     * The fixture {@code name}, a resource beside {@code anchor}'s package, written by {@code script}.
     *
     * @throws IOException naming the script to run when the resource is missing
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(Class<?> anchor, String name, String script) throws IOException {
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is missing; run " + script);
            }
            return (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The {@code "name"} of each case in {@code cases}, in order: a parameterized test's arguments. */
    @SuppressWarnings("unchecked")
    public static List<String> names(Object cases) {
        List<String> names = new ArrayList<>();
        for (Object c : (List<Object>) cases) {
            names.add((String) ((Map<String, Object>) c).get("name"));
        }
        return names;
    }

    /** The case of {@code cases} named {@code name}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> named(Object cases, String name) {
        for (Object c : (List<Object>) cases) {
            if (name.equals(((Map<String, Object>) c).get("name"))) {
                return (Map<String, Object>) c;
            }
        }
        throw new IllegalArgumentException("no case '" + name + "' among " + names(cases));
    }

    /** A number or a nested list of numbers, flattened in order. */
    public static float[] floats(Object nested) {
        List<Object> flat = new ArrayList<>();
        flatten(nested, flat);
        float[] r = new float[flat.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((Number) flat.get(i)).floatValue();
        }
        return r;
    }

    /** {@link #floats}, as integers. */
    public static int[] ints(Object nested) {
        List<Object> flat = new ArrayList<>();
        flatten(nested, flat);
        int[] r = new int[flat.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((Number) flat.get(i)).intValue();
        }
        return r;
    }

    /**
     * Each trained weight within {@code 2e-5 + 1e-4 |w|} of Keras's ({@code want}, the fixture's list of weights in
     * Keras's order): KerasOptimizerReplayTest's tolerance for a few float32 steps summed in another order.
     */
    @SuppressWarnings("unchecked")
    public static void assertWeightsNear(String what, Object want, List<float[]> got) {
        List<Object> expected = (List<Object>) want;
        assertEquals(expected.size(), got.size(), what + ": weight count");
        for (int k = 0; k < expected.size(); k++) {
            float[] e = floats(expected.get(k));
            for (int i = 0; i < e.length; i++) {
                double diff = Math.abs((double) got.get(k)[i] - e[i]);
                assertTrue(diff <= 2e-5 + 1e-4 * Math.abs(e[i]), what + ": weight " + k + "[" + i + "] = "
                        + got.get(k)[i] + ", Keras " + e[i]);
            }
        }
    }

    /** Each epoch's logged value within {@code relative |v| + 1e-6} of Keras's ({@code keras}, a list per epoch). */
    @SuppressWarnings("unchecked")
    public static void assertEpochsNear(String what, Object keras, List<Double> got, double relative) {
        List<Object> expected = (List<Object>) keras;
        for (int e = 0; e < expected.size(); e++) {
            double k = ((Number) expected.get(e)).doubleValue();
            assertEquals(k, got.get(e), relative * Math.abs(k) + 1e-6, what + ": epoch " + e);
        }
    }

    /**
     * A model of an {@link Input} of {@code inputs} values and the layers {@code layerConfigs} describe (each
     * {@code {"class_name", "config"}} as Keras's {@code layer.get_config()} wrote it, so that Keras's argument names
     * are read as Keras writes them), on {@code backend}.
     */
    @SuppressWarnings("unchecked")
    public static Sequential sequential(int inputs, Object layerConfigs, Backend backend) {
        List<Layer> layers = new ArrayList<>();
        layers.add(new Input(inputs));
        for (Object o : (List<Object>) layerConfigs) {
            Map<String, Object> l = (Map<String, Object>) o;
            layers.add(Layers.fromConfig((String) l.get("class_name"), null, (Map<String, Object>) l.get("config")));
        }
        return new Sequential(layers.toArray(new Layer[0])).backend(backend);
    }

    /** The fixture's {@code "initial_weights"}, each flat, in Keras's order. */
    @SuppressWarnings("unchecked")
    public static List<float[]> initialWeights(Map<String, Object> fixture) {
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) fixture.get("initial_weights")) {
            initial.add(floats(w));
        }
        return initial;
    }

    /**
     * Trains a compiled {@code model} as the fixture's Keras run did: its {@code x} ({@code inputs} wide) and
     * sparse {@code y}, {@code batch_size}, {@code epochs}, batches in order (Keras's {@code shuffle=False}).
     */
    public static History fitAsKeras(Sequential model, Map<String, Object> fixture) {
        return fitAsKeras(model, fixture, new FitOptions());
    }

    /** {@link #fitAsKeras(Sequential, Map)} with {@code options}' other settings (checkNumerics, say). */
    public static History fitAsKeras(Sequential model, Map<String, Object> fixture, FitOptions options) {
        int in = integer(fixture.get("inputs"));
        int[] y = ints(fixture.get("y"));
        return model.fit(Tensor.wrap(floats(fixture.get("x")), y.length, in), y, options
                .batchSize(integer(fixture.get("batch_size"))).epochs(integer(fixture.get("epochs"))).shuffle(false)
                .verbose(0));
    }

    public static int integer(Object number) {
        return ((Number) number).intValue();
    }

    private static void flatten(Object o, List<Object> out) {
        if (o instanceof List<?> l) {
            for (Object e : l) {
                flatten(e, out);
            }
        } else {
            out.add(o);
        }
    }
}
