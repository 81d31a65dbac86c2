package dev.dendrite.io;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Hdf5File#readAttributes}: files written by h5py (bench/keras/hdf5_attributes_fixture.py), a legacy Keras
 * model file ({@code model.save("m.h5")} with Keras 3), {@link Hdf5Writer}'s files, and damaged copies of them.
 */
class Hdf5AttributesTest {
    // ------------------------------------------------------------------------------------------------ helpers

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Hdf5AttributesTest.class.getResourceAsStream(name)) {
            assertTrue(in != null, "missing test resource " + name);
            return in.readAllBytes();
        }
    }

    private static Map<String, Map<String, Object>> read(String name) throws IOException {
        return Hdf5File.readAttributes(resource(name), name);
    }

    /** The fixture's value in the reader's form: {"numbers": [...]} becomes a double[]. */
    @SuppressWarnings("unchecked")
    private static Object value(Object json) {
        if (json instanceof Map<?, ?> m) {
            List<Object> numbers = (List<Object>) m.get("numbers");
            return numbers.stream().mapToDouble(x -> (Double) x).toArray();
        }
        return json;
    }

    private static void assertSameAttributes(Map<String, Object> want, Map<String, Object> got, String where) {
        assertEquals(want.keySet(), got.keySet(), where);
        for (Map.Entry<String, Object> e : want.entrySet()) {
            Object g = got.get(e.getKey());
            if (e.getValue() instanceof double[] w) {
                assertTrue(g instanceof double[], where + " " + e.getKey() + ": " + g);
                assertArrayEquals(w, (double[]) g, where + " " + e.getKey());
            } else {
                assertEquals(e.getValue(), g, where + " " + e.getKey());
            }
        }
    }

    private static IOException assertBad(byte[] bytes, String source, String... fragments) {
        return Hdf5Checks.assertBad(Hdf5File::readAttributes, bytes, source, fragments);
    }

    /** Reads damaged bytes: an IOException or a result are both fine, any other throwable fails the test. */
    private static boolean readsOrRefuses(byte[] bytes, String what) {
        return Hdf5Checks.readsOrRefuses(Hdf5File::readAttributes, bytes, what);
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        for (int i = from; i + what.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + what.length, what, 0, what.length)) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------------ files

    @Test
    @SuppressWarnings("unchecked")
    void h5pyAttributesOfEveryKindInOldAndNewHeaders() throws IOException {
        Map<String, Object> json = (Map<String, Object>) Json.parse(new String(resource("attributes.json"),
                StandardCharsets.UTF_8));
        for (String file : new String[] {"attributes.h5", "attributes-latest.h5"}) {
            Map<String, Object> objects = (Map<String, Object>) json.get(file);
            Map<String, Map<String, Object>> got = read(file);
            assertEquals(new TreeMap<>(objects).keySet(), got.keySet(), file);
            for (Map.Entry<String, Object> o : objects.entrySet()) {
                Map<String, Object> want = new TreeMap<>();
                ((Map<String, Object>) o.getValue()).forEach((k, v) -> want.put(k, value(v)));
                assertSameAttributes(want, got.get(o.getKey()), file + " '" + o.getKey() + "'");
            }
        }
    }

    @Test
    void stringsAndNumbersHaveTheirJavaTypes() throws IOException {
        Map<String, Object> root = read("attributes.h5").get("");
        assertEquals("gr\u00fc\u00dfe \u6f22\u5b57 \uD83D\uDE00", root.get("vlen"));
        assertEquals("", root.get("empty_str"));
        // numpy "S7", null-padded: a scalar is a String, an array a List
        assertEquals(List.of("dense", "dense_1"), root.get("fixed"));
        assertEquals("abc", root.get("fixed_scalar"));
        assertEquals(List.of("a", "b\u00e9", ""), root.get("vlen_array"));
        assertArrayEquals(new double[0], (double[]) root.get("empty_f64"));
        assertArrayEquals(new double[] {-7}, (double[]) root.get("i64"));
        assertArrayEquals(new double[] {1, -2, 300, -32768}, (double[]) root.get("be_i16"));
        // the compound attribute is skipped, and readDatasets still reads the file, skipping every attribute
        assertTrue(!root.containsKey("compound"), root.keySet().toString());
        assertEquals(Map.of("g/d", new TensorData(new int[] {3}, new float[] {0, 1, 2})),
                Hdf5File.readDatasets(resource("attributes.h5"), "attributes.h5"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void kerasLegacyModelFile() throws IOException {
        Map<String, Map<String, Object>> got = read("keras3-legacy.h5");
        Map<String, Object> root = got.get("");
        Map<String, Object> config = (Map<String, Object>) Json.parse((String) root.get("model_config"));
        assertEquals("Sequential", config.get("class_name"));
        List<Object> layers = (List<Object>) ((Map<String, Object>) config.get("config")).get("layers");
        assertEquals(4, layers.size()); // the InputLayer, then the three layers
        Map<String, Object> training = (Map<String, Object>) Json.parse((String) root.get("training_config"));
        assertEquals("sparse_categorical_crossentropy", training.get("loss"));
        assertEquals("jax", root.get("backend"));
        assertTrue(((String) root.get("keras_version")).startsWith("3."), root.get("keras_version").toString());
        Map<String, Object> weights = got.get("model_weights");
        assertEquals(List.of("dense", "batch_normalization", "dense_1"), weights.get("layer_names"));
        assertEquals(List.of("sequential/dense/kernel", "sequential/dense/bias"),
                got.get("model_weights/dense").get("weight_names"));
        assertEquals(List.of("sequential/batch_normalization/gamma", "sequential/batch_normalization/beta",
                "sequential/batch_normalization/moving_mean", "sequential/batch_normalization/moving_variance"),
                got.get("model_weights/batch_normalization").get("weight_names"));
        assertEquals(List.of("sequential/dense_1/kernel", "sequential/dense_1/bias"),
                got.get("model_weights/dense_1").get("weight_names"));
        // h5py writes an empty list of names as a float64 array of shape (0,)
        assertArrayEquals(new double[0],
                (double[]) got.get("model_weights/top_level_model_weights").get("weight_names"));
        // each weight name is the path of its dataset under the layer's group
        for (Object name : (List<Object>) got.get("model_weights/dense").get("weight_names")) {
            assertTrue(got.containsKey("model_weights/dense/" + name), name.toString());
        }
    }

    @Test
    void hdf5WriterStringsOfAnyCharactersReadBack() throws IOException {
        Random random = new Random(42);
        Hdf5Writer w = new Hdf5Writer();
        Map<String, Map<String, Object>> want = new TreeMap<>();
        want.put("", new TreeMap<>());
        String[] groups = {"", "g", "g/h", "other"};
        for (int i = 0; i < 600; i++) {
            String group = groups[random.nextInt(groups.length)];
            String name = randomText(random, 1 + random.nextInt(20)) + i;
            String value = i % 50 == 0 ? "" : randomText(random, random.nextInt(i % 7 == 0 ? 3000 : 40));
            w.attribute(group, name, value);
            want.computeIfAbsent(group, k -> new TreeMap<>()).put(name, value);
        }
        Map<String, Map<String, Object>> got = Hdf5File.readAttributes(w.toBytes(), "written.h5");
        assertEquals(want.keySet(), got.keySet());
        want.forEach((path, attributes) -> assertSameAttributes(attributes, got.get(path), "'" + path + "'"));
    }

    /** Characters of every UTF-8 length, surrogate pairs included, never a NUL (which the writer refuses). */
    private static String randomText(Random random, int length) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < length) {
            int kind = random.nextInt(4);
            int cp = kind == 0 ? 1 + random.nextInt(0x7F) : kind == 1 ? 0x80 + random.nextInt(0x780)
                    : kind == 2 ? 0x800 + random.nextInt(0xD000 - 0x800) : 0x10000 + random.nextInt(0x100000);
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------ refused

    @Test
    void denseAttributeStorageIsRefusedByName() throws IOException {
        assertBad(resource("attributes-dense.h5"), "dense.h5", "dense attribute storage", "on 'g'");
    }

    @Test
    void aDamagedGlobalHeapIsAnIOExceptionButDatasetsStillRead() throws IOException {
        byte[] b = new Hdf5Writer().attribute("", "k", "value").floats("x", new TensorData(new int[0],
                new float[] {2})).toBytes();
        int gcol = indexOf(b, "GCOL".getBytes(StandardCharsets.US_ASCII), 0);
        b[gcol + 4] = 2;
        assertBad(b, "v2.h5", "global heap collection version 1, found 2");
        b[gcol] = 'X';
        assertBad(b, "sig.h5", "signature \"GCOL\"");
        assertEquals(Map.of("x", new TensorData(new int[0], new float[] {2})), Hdf5File.readDatasets(b, "sig.h5"));
    }

    @Test
    void aHeapObjectReferencedManyTimesCannotFillMemory() throws IOException {
        // one 1 MiB string, and 80 attributes of "x" whose heap IDs are then pointed at it: 81 MiB of strings
        char[] big = new char[1 << 20];
        Arrays.fill(big, 'y');
        Hdf5Writer w = new Hdf5Writer().attribute("", "big", new String(big));
        for (int i = 0; i < 80; i++) {
            w.attribute("", "s" + i, "x");
        }
        byte[] b = w.toBytes();
        long collection = indexOf(b, "GCOL".getBytes(StandardCharsets.US_ASCII), 0);
        ByteBuffer id = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        int patched = 0;
        for (int i = 2; i <= 81; i++) {
            // an attribute's data: length, collection address, object index (objects numbered from 1 as set)
            byte[] small = id.clear().putInt(1).putLong(collection).putInt(i).array().clone();
            int at = indexOf(b, small, 0);
            assertTrue(at > 0, "heap ID of object " + i);
            ByteBuffer.wrap(b, at, 16).order(ByteOrder.LITTLE_ENDIAN).putInt(1 << 20).putLong(collection).putInt(1);
            patched++;
        }
        assertEquals(80, patched);
        assertBad(b, "many.h5", "attribute strings of at most " + Hdf5File.MAX_STRING_BYTES + " bytes in all");
    }

    // ------------------------------------------------------------------------------------------------ hostile

    @Test
    void everyTruncationIsRefusedOrReadNeverAnotherException() throws IOException {
        for (String name : new String[] {"attributes.h5", "attributes-latest.h5"}) {
            byte[] full = resource(name);
            for (int n = 0; n < full.length; n++) {
                readsOrRefuses(Arrays.copyOf(full, n), name + " cut to " + n + " bytes");
            }
        }
    }

    @Test
    void bytesOverwrittenAnywhereGiveIOExceptionOrValuesNeverAnotherException() throws IOException {
        for (String name : new String[] {"attributes.h5", "attributes-latest.h5", "keras3-legacy.h5"}) {
            byte[] full = resource(name);
            Hdf5Checks.damagedEverywhere(Hdf5File::readAttributes, full, name, full.length > 20_000 ? 3 : 1);
        }
    }
}
