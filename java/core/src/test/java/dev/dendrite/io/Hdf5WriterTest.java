package dev.dendrite.io;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files written by {@link Hdf5Writer} read back by {@link Hdf5File}, and every path looked up as HDF5 looks it up,
 * with fresh random contents each run (the seed is printed and in the round trips' failure messages;
 * {@code -Ddendrite.hdf5.seed=N} repeats a run). With {@code -Ddendrite.hdf5.dump} each file is also written to
 * {@code target/hdf5-writer/NAME.h5} beside {@code NAME.json}, what it holds, for
 * {@code bench/keras/hdf5_writer_check.py} to check with h5py (the real HDF5 library) and Keras.
 */
class Hdf5WriterTest {
    private static final long SEED = Long.getLong("dendrite.hdf5.seed", new Random().nextLong());

    @BeforeAll
    static void printSeed() {
        System.out.println("Hdf5WriterTest seed " + SEED);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The calls made on a writer, kept to say what must read back (and, for h5py, dumped as JSON). */
    private static final class Spec {
        final Hdf5Writer writer = new Hdf5Writer();
        final Map<String, TensorData> floats = new TreeMap<>();
        final Map<String, Integer> ints = new TreeMap<>();
        final Map<String, Map<String, String>> attributes = new TreeMap<>();
        final TreeSet<String> groups = new TreeSet<>();

        Spec floats(String path, TensorData t) {
            writer.floats(path, t);
            floats.put(path, t);
            return this;
        }

        Spec int32(String path, int value) {
            writer.int32(path, value);
            ints.put(path, value);
            return this;
        }

        Spec group(String path) {
            writer.group(path);
            groups.add(path);
            return this;
        }

        Spec attribute(String group, String name, String value) {
            writer.attribute(group, name, value);
            attributes.computeIfAbsent(group, k -> new TreeMap<>()).put(name, value);
            return this;
        }

        /** What {@link Hdf5File} must give: every dataset as float32, an int32 as a cast gives. */
        Map<String, TensorData> expected() {
            Map<String, TensorData> m = new TreeMap<>(floats);
            ints.forEach((path, v) -> m.put(path, new TensorData(new int[0], new float[] {v})));
            return m;
        }

        /** What {@link Hdf5File#readAttributes} must give: every group (parents too) and dataset, by path. */
        Map<String, Map<String, String>> expectedAttributes() {
            Map<String, Map<String, String>> m = new TreeMap<>();
            List<String> paths = new ArrayList<>(expected().keySet());
            paths.addAll(groups);
            paths.addAll(attributes.keySet());
            for (String path : paths) {
                for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
                    m.put(path.substring(0, i), Map.of());
                }
                m.put(path, Map.of());
            }
            m.put("", Map.of());
            m.putAll(attributes);
            return m;
        }

        /** The file, read back by {@link Hdf5File} and compared with what was written; dumped if asked. */
        byte[] check(String name) throws IOException {
            byte[] bytes = writer.toBytes();
            assertEquals(expected(), Hdf5File.readDatasets(bytes, name), () -> name + ", seed " + SEED);
            assertEquals(expectedAttributes(), Hdf5File.readAttributes(bytes, name), () -> name + ", seed " + SEED);
            // Hdf5File reads every link; HDF5 finds one by binary search, which only works if they are in order
            List<String> paths = new ArrayList<>(expected().keySet());
            paths.addAll(groups);
            for (String path : paths) {
                assertTrue(find(bytes, path) > 0, () -> name + ": HDF5 would not find " + path + ", seed " + SEED);
            }
            if (System.getProperty("dendrite.hdf5.dump") != null) {
                Map<String, Object> datasets = new TreeMap<>();
                floats.forEach((path, t) -> {
                    int[] bits = new int[t.size()];
                    for (int i = 0; i < bits.length; i++) {
                        bits[i] = Float.floatToRawIntBits(t.get(i));
                    }
                    datasets.put(path, Map.of("dtype", "float32", "shape", t.shape(), "bits", bits));
                });
                ints.forEach((path, v) -> datasets.put(path, Map.of("dtype", "int32", "shape", new int[0],
                        "value", v)));
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("datasets", datasets);
                json.put("groups", new ArrayList<>(groups));
                json.put("attrs", attributes);
                Path dir = Path.of("target", "hdf5-writer");
                Files.createDirectories(dir);
                Files.write(dir.resolve(name + ".h5"), bytes);
                Files.writeString(dir.resolve(name + ".json"), Json.write(json));
            }
            return bytes;
        }
    }

    /**
     * The object header address of {@code path}, found as HDF5 finds it (H5B_find, H5G__node_found): in each group,
     * down the B-tree by binary search of the keys (a child holds the names above its left key and up to its right
     * key), then by binary search of the symbol table node; 0 if not found that way.
     */
    private static long find(byte[] file, String path) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int entry = 56; // the root group's symbol table entry in the superblock
        for (String name : path.split("/")) {
            if (b.getInt(entry + 16) != 1) {
                return 0; // not a group, or without its B-tree and heap cached in the entry
            }
            int node = (int) b.getLong(entry + 24);
            int heap = (int) b.getLong((int) b.getLong(entry + 32) + 24);
            byte[] want = name.getBytes(StandardCharsets.UTF_8);
            for (int level = b.get(node + 5); level >= 0; level--) {
                int low = 0;
                int high = b.getShort(node + 6);
                int cmp = -1;
                int at = 0;
                while (low < high && cmp != 0) {
                    at = (low + high) / 2;
                    // keys and children alternate after the 24-byte node header: key i, child i, key i + 1
                    int key = node + 24 + 16 * at;
                    cmp = Arrays.compareUnsigned(want, cString(file, heap + (int) b.getLong(key))) <= 0 ? -1
                            : Arrays.compareUnsigned(want, cString(file, heap + (int) b.getLong(key + 16))) > 0 ? 1
                            : 0;
                    if (cmp < 0) {
                        high = at;
                    } else {
                        low = at + 1;
                    }
                }
                if (cmp != 0) {
                    return 0;
                }
                node = (int) b.getLong(node + 32 + 16 * at);
            }
            int low = 0;
            int high = b.getShort(node + 6);
            int cmp = -1;
            while (low < high && cmp != 0) {
                int at = (low + high) / 2;
                entry = node + 8 + 40 * at;
                cmp = Arrays.compareUnsigned(want, cString(file, heap + (int) b.getLong(entry)));
                if (cmp < 0) {
                    high = at;
                } else {
                    low = at + 1;
                }
            }
            if (cmp != 0) {
                return 0;
            }
        }
        return b.getLong(entry + 8);
    }

    private static byte[] cString(byte[] file, int at) {
        int end = at;
        while (file[end] != 0) {
            end++;
        }
        return Arrays.copyOfRange(file, at, end);
    }

    private static TensorData randomTensor(Random random, int maxRank) {
        int[] shape = new int[random.nextInt(maxRank + 1)];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(5);
        }
        float[] values = new float[(int) TensorData.elementCount(shape)];
        for (int i = 0; i < values.length; i++) {
            // any bit pattern (NaNs, infinities, subnormals, -0) is written as it is
            values[i] = random.nextBoolean() ? (float) random.nextGaussian()
                    : Float.intBitsToFloat(random.nextInt());
        }
        return new TensorData(shape, values);
    }

    /** Fails with an IllegalArgumentException whose message holds every fragment. */
    private static void assertRejected(Runnable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "expected \"" + f + "\" in: " + e.getMessage());
        }
    }

    private static TensorData scalar(float v) {
        return new TensorData(new int[0], new float[] {v});
    }

    // ------------------------------------------------------------------------------------------------ contents

    @Test
    void randomDatasetsInNestedGroupsReadBackBitForBit() throws IOException {
        Random random = new Random(SEED);
        for (int file = 0; file < 20; file++) {
            Spec s = new Spec();
            int n = random.nextInt(40);
            for (int i = 0; i < n; i++) {
                StringBuilder path = new StringBuilder();
                for (int depth = random.nextInt(4); depth > 0; depth--) {
                    path.append("g").append(random.nextInt(3)).append('/');
                }
                // UTF-8 bytes order "10" < "2" < "d" < "é" < U+FF21 (fullwidth A) < U+1F600 (an emoji), whereas
                // numbers put "2" first and UTF-16 the emoji (surrogates from D83D) before U+FF21
                String[] prefixes = {"", "d", "é", "x y ", "\uFF21", "\uD83D\uDE00"};
                path.append(prefixes[random.nextInt(prefixes.length)]).append(i);
                s.floats(path.toString(), randomTensor(random, 4));
            }
            s.check("random" + file);
        }
    }

    @Test
    void groupsOfManyLinksAreFoundInHdf5Order() throws IOException {
        Random random = new Random(SEED);
        Spec s = new Spec();
        // Keras's optimizer names its variables "0", "1", ..., so "10" sorts before "2": written in any order
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        for (int i : order) {
            s.floats("optimizer/vars/" + i, randomTensor(random, 2));
        }
        s.int32("optimizer/vars/iterations", 7);
        s.check("many");
        // more than one B-tree node can point at (32 nodes of 8 links) needs a B-tree of three levels
        Spec deep = new Spec();
        for (int i = 0; i < 9000; i++) {
            deep.floats("many/" + i, scalar(i));
        }
        deep.check("many9000");
        // every count of links around the node sizes (8 per symbol table node, 32 nodes per B-tree node)
        for (int n : new int[] {0, 1, 7, 8, 9, 16, 17, 255, 256, 257, 264, 512, 513}) {
            Spec sized = new Spec().group("g");
            for (int i = 0; i < n; i++) {
                sized.floats("g/" + i, scalar(-i));
            }
            assertEquals(n, Hdf5File.readDatasets(sized.check("sized" + n), "sized").size(), "n=" + n);
        }
    }

    @Test
    void int32ScalarsReadBackAsTheFloatACastGives() throws IOException {
        Spec s = new Spec();
        int[] values = {0, -1, 1, 7, Integer.MIN_VALUE, Integer.MAX_VALUE, 16_777_217, -123_456};
        for (int i = 0; i < values.length; i++) {
            s.int32("ints/" + i, values[i]);
        }
        s.check("ints");
        Map<String, TensorData> got = Hdf5File.readDatasets(s.writer.toBytes(), "ints");
        assertEquals(16_777_216f, got.get("ints/6").get(0));
        assertArrayEquals(new int[0], got.get("ints/0").shape());
    }

    @Test
    void scalarsEmptyDatasetsEmptyGroupsAndAttributes() throws IOException {
        Spec s = new Spec()
                .floats("scalar", scalar(3.25f))
                .floats("empty", new TensorData(new int[] {0}, new float[0]))
                .floats("e/empty3", new TensorData(new int[] {2, 0, 3}, new float[0]))
                .group("vars").group("layers/dense/vars").group("layers/activation/vars")
                .attribute("", "note", "root attribute")
                .attribute("vars", "name", "course_model")
                .attribute("layers/dense/vars", "name", "dense_8")
                .attribute("layers/activation/vars", "name", "activation")
                .attribute("layers/activation/vars", "empty", "")
                .attribute("layers/dense/vars", "unicode", "é \uD83D\uDE00")
                .floats("layers/dense/vars/0", new TensorData(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        s.check("mixed");
        // the reader skips attributes and lists no groups: only the datasets differ from an empty file
        assertEquals(Map.of(), Hdf5File.readDatasets(new Hdf5Writer().group("a/b/c").toBytes(), "groups"));
        assertEquals(Map.of(), Hdf5File.readDatasets(new Hdf5Writer().toBytes(), "empty file"));
    }

    @Test
    void aMillionElementDataset() throws IOException {
        Random random = new Random(SEED);
        float[] values = new float[1_000_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        byte[] bytes = new Spec().floats("big", new TensorData(new int[] {1000, 1000}, values))
                .floats("after", scalar(1)).check("big");
        assertTrue(bytes.length > 4_000_000 && bytes.length < 4_010_000, bytes.length + " bytes");
    }

    @Test
    void stringAttributesUpToTheLimit() throws IOException {
        Spec s = new Spec();
        for (int i = 0; i < 65_534; i++) {
            s.attribute("", "a" + i, "v" + i);
        }
        s.floats("x", scalar(1)).check("attributes");
        assertRejected(() -> s.writer.attribute("g", "one", "too many"), "attribute 'one' of group 'g'",
                "at most 65534 attributes");
    }

    @Test
    void sameCallsGiveTheSameBytesAndGroupIsIdempotent() {
        Random random = new Random(SEED);
        TensorData t = randomTensor(random, 3);
        Hdf5Writer a = new Hdf5Writer().group("a/b").floats("a/b/x", t).attribute("a", "k", "v").int32("i", 3);
        Hdf5Writer b = new Hdf5Writer().group("a/b").group("a").floats("a/b/x", t).group("a/b")
                .attribute("a", "k", "v").int32("i", 3);
        assertArrayEquals(a.toBytes(), b.toBytes());
        assertArrayEquals(a.toBytes(), a.toBytes());
        assertFalse(Arrays.equals(a.toBytes(), new Hdf5Writer().group("a/b").floats("a/b/x", t).toBytes()));
    }

    @Test
    void kerasFileWrittenAgainReadsTheSame() throws IOException {
        byte[] original;
        try (InputStream in = getClass().getResourceAsStream("/dev/dendrite/model/keras-model.weights.h5")) {
            assertTrue(in != null, "missing test resource keras-model.weights.h5");
            original = in.readAllBytes();
        }
        Map<String, TensorData> want = Hdf5File.readDatasets(original, "keras-model.weights.h5");
        Spec s = new Spec();
        for (Map.Entry<String, TensorData> e : want.entrySet()) {
            String path = e.getKey();
            // Keras's step count and Normalization's count are int32 in the file
            if (path.equals("optimizer/vars/0") || path.equals("layers/normalization/vars/2")) {
                s.int32(path, (int) e.getValue().get(0));
            } else {
                s.floats(path, e.getValue());
            }
            // Keras names each "vars" group after its layer
            String group = path.substring(0, path.lastIndexOf('/'));
            String layer = group.substring(0, group.lastIndexOf('/'));
            if (!s.attributes.containsKey(group)) {
                s.attribute(group, "name", layer.substring(layer.lastIndexOf('/') + 1));
            }
        }
        s.group("layers/activation/vars").group("layers/dropout/vars").group("vars");
        assertEquals(want, Hdf5File.readDatasets(s.check("keras"), "rewritten"));
    }

    // ------------------------------------------------------------------------------------------------ refused

    @Test
    void malformedPathsAreRefusedByName() throws IOException {
        Hdf5Writer w = new Hdf5Writer();
        TensorData t = scalar(1);
        for (String bad : new String[] {"", "/a", "a/", "a//b", ".", "a/..", "a/./b", "x\0y", "a/\uD800"}) {
            assertRejected(() -> w.floats(bad, t), "dataset path '" + bad + "'", "expected");
            assertRejected(() -> w.group(bad), "group path '" + bad + "'", "expected");
        }
        String longName = "n".repeat(4097);
        assertRejected(() -> w.floats(longName, t), "name '" + longName + "'", "1 to 4096 UTF-8 bytes");
        // 4096 bytes of UTF-8 are fine, 4097 are not, however few the characters
        w.floats("é".repeat(2048), t);
        assertRejected(() -> w.floats("é".repeat(2048) + "x", t), "1 to 4096 UTF-8 bytes");
        assertRejected(() -> w.group("a/".repeat(256) + "a"), "group path 'a/a/a/", "of 257 names", "at most 256");
        assertRejected(() -> w.floats("r", new TensorData(new int[33], new float[0])),
                "dataset 'r' of rank 33", "at most 32 dimensions");
        // nothing refused was written
        assertEquals(Map.of("é".repeat(2048), t), Hdf5File.readDatasets(w.toBytes(), "written"));
    }

    @Test
    void duplicatesAndDatasetGroupClashesAreRefused() {
        Hdf5Writer w = new Hdf5Writer().floats("a/b", scalar(1)).group("g");
        assertRejected(() -> w.floats("a/b", scalar(2)), "dataset path 'a/b' is already a dataset",
                "expected a new name");
        assertRejected(() -> w.int32("a/b", 2), "dataset path 'a/b' is already a dataset");
        assertRejected(() -> w.floats("a", scalar(2)), "dataset path 'a' is already a group");
        assertRejected(() -> w.int32("g", 2), "dataset path 'g' is already a group");
        assertRejected(() -> w.floats("a/b/c", scalar(2)), "'a/b' is a dataset; expected a group there",
                "in path 'a/b/c'");
        assertRejected(() -> w.group("a/b"), "'a/b' is a dataset; expected a group");
        assertRejected(() -> w.group("a/b/c/d"), "'a/b' is a dataset", "in path 'a/b/c/d'");
        assertRejected(() -> w.attribute("a/b", "name", "x"), "'a/b' is a dataset");
        w.attribute("g", "name", "x");
        assertRejected(() -> w.attribute("g", "name", "y"), "attribute 'name' of group 'g' set twice",
                "expected one value per name");
        assertRejected(() -> w.attribute("g", "", "y"), "attribute '' of group 'g'", "expected 1 to 4096");
        assertRejected(() -> w.attribute("g", "k", "a\0b"), "attribute 'k' of group 'g''s value holds a NUL");
        assertRejected(() -> w.attribute("g", "\uDC00", "v"), "unpaired surrogate");
        assertRejected(() -> w.attribute("/g", "k", "v"), "group path '/g'");
        assertRejected(() -> w.attribute("new", "", "v"), "attribute '' of group 'new'");
        assertRejected(() -> w.floats("a/b", new TensorData(new int[40], new float[0])), "of rank 40");
        // nothing refused was written: no group "new", no second value of "name"
        assertArrayEquals(new Hdf5Writer().floats("a/b", scalar(1)).group("g").attribute("g", "name", "x").toBytes(),
                w.toBytes());
    }
}
