package dev.dendrite.keras;

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
