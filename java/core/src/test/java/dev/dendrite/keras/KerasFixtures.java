package dev.dendrite.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dendrite.io.Json;

/**
 * What the tests against Keras fixtures share (the JSON files that bench/keras/*.py write with Keras 3 itself):
 * reading one from the test resources, its named cases, and its nested number lists as flat arrays.
 */
public final class KerasFixtures {
    private KerasFixtures() {
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
