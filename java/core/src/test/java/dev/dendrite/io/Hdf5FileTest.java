package dev.dendrite.io;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files written by h5py and Keras 3 (bench/keras/hdf5_fixture.py), and damaged copies of them. */
class Hdf5FileTest {
    // ------------------------------------------------------------------------------------------------ helpers

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Hdf5FileTest.class.getResourceAsStream(name)) {
            assertTrue(in != null, "missing test resource " + name);
            return in.readAllBytes();
        }
    }

    private static Map<String, TensorData> read(String name) throws IOException {
        return Hdf5File.readDatasets(resource(name), name);
    }

    /** The fixture's JSON: path -> {shape, values}, values already rounded to float32 by numpy. */
    @SuppressWarnings("unchecked")
    private static Map<String, TensorData> expected(String name) throws IOException {
        Map<String, Object> json = (Map<String, Object>) Json.parse(new String(resource(name),
                StandardCharsets.UTF_8));
        Map<String, TensorData> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : json.entrySet()) {
            Map<String, Object> entry = (Map<String, Object>) e.getValue();
            List<Object> shape = (List<Object>) entry.get("shape");
            List<Object> values = (List<Object>) entry.get("values");
            int[] s = new int[shape.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = ((Double) shape.get(i)).intValue();
            }
            float[] v = new float[values.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = ((Double) values.get(i)).floatValue();
            }
            m.put(e.getKey(), new TensorData(s, v));
        }
        return m;
    }

    /** Same paths in the same (ascending) order, same shapes, same float bits. */
    private static void assertSameDatasets(Map<String, TensorData> want, Map<String, TensorData> got) {
        assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(got.keySet()));
        for (Map.Entry<String, TensorData> e : want.entrySet()) {
            TensorData g = got.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), g.shape(), e.getKey());
            float[] w = e.getValue().values();
            float[] v = g.values();
            assertEquals(w.length, v.length, e.getKey());
            for (int i = 0; i < w.length; i++) {
                assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(v[i]),
                        e.getKey() + "[" + i + "]: " + w[i] + " vs " + v[i]);
            }
        }
    }

    /** Reading fails with an IOException naming the source and containing every fragment. */
    private static IOException assertBad(byte[] bytes, String source, String... fragments) {
        return Hdf5Checks.assertBad(Hdf5File::readDatasets, bytes, source, fragments);
    }

    /** Reads damaged bytes: an IOException or a result are both fine, any other throwable fails the test. */
    private static boolean readsOrRefuses(byte[] bytes, String what) {
        return Hdf5Checks.readsOrRefuses(Hdf5File::readDatasets, bytes, what);
    }

    // ------------------------------------------------------------------------------------------------ files

    @Test
    void kerasWeightsFileGivesEveryDatasetBitForBit() throws IOException {
        Map<String, TensorData> got = read("keras-model.weights.h5");
        assertSameDatasets(expected("keras-model.weights.json"), got);
        assertEquals(22, got.size());
        assertArrayEquals(new int[] {6, 5}, got.get("layers/dense/vars/0").shape());
        // the optimizer's int64 iteration counter after one step, and its float32 learning rate
        assertArrayEquals(new int[0], got.get("optimizer/vars/0").shape());
        assertEquals(1f, got.get("optimizer/vars/0").get(0));
        assertEquals(0.01f, got.get("optimizer/vars/1").get(0));
    }

    @Test
    void h5pyFileOfManyKindsGivesEveryDatasetBitForBit() throws IOException {
        Map<String, TensorData> got = read("hdf5-mixed.h5");
        assertSameDatasets(expected("hdf5-mixed.json"), got);
    }

    @Test
    void integersOfEveryWidthAndByteOrderConvertAsACastWould() throws IOException {
        Map<String, TensorData> got = read("hdf5-mixed.h5");
        assertArrayEquals(new float[] {-2147483648f, -1, 0, 1, 16777216f, 2147483648f},
                got.get("a/i32").values());
        assertArrayEquals(new float[] {0, 1, 127, 128, 255}, got.get("a/u8").values());
        assertArrayEquals(new float[] {-32768, -2, 300, 32767}, got.get("a/b/be_i16").values());
        assertArrayEquals(new float[] {-128, -1, 0, 127}, got.get("a/b/i8").values());
        assertArrayEquals(new float[] {0, 65535}, got.get("a/b/u16").values());
        assertArrayEquals(new float[] {-(float) (1L << 40), 3, (float) (1L << 62)}, got.get("a/b/i64").values());
        assertArrayEquals(new float[] {18446744073709551616f, 5}, got.get("a/b/u64").values());
        assertArrayEquals(new int[] {3, 2}, got.get("a/b/be_f32").shape());
    }

    @Test
    void scalarsEmptyAndCompactDatasets() throws IOException {
        Map<String, TensorData> got = read("hdf5-mixed.h5");
        assertEquals(new TensorData(new int[0], new float[] {3.25f}), got.get("scalar"));
        assertEquals(new TensorData(new int[0], new float[] {-7}), got.get("scalar_i64"));
        assertEquals(new TensorData(new int[] {0}, new float[0]), got.get("empty"));
        assertEquals(new TensorData(new int[] {2, 0, 3}, new float[0]), got.get("empty2"));
        assertEquals(new TensorData(new int[] {2, 3}, new float[] {0, 0.25f, 0.5f, 0.75f, 1, 1.25f}),
                got.get("compact"));
    }

    @Test
    void groupsOldAndNewStyleHardLinksAndCycles() throws IOException {
        Map<String, TensorData> got = read("hdf5-mixed.h5");
        // 200 names in a B-tree of two levels, in ascending order, each hard link resolved to its dataset
        List<String> many = got.keySet().stream().filter(k -> k.startsWith("many/")).toList();
        assertEquals(200, many.size());
        assertEquals("many/d000", many.get(0));
        assertEquals("many/d199", many.get(199));
        assertArrayEquals(new float[] {1, 1.5f}, got.get("many/d196").values());
        assertArrayEquals(new float[] {2, 2.5f}, got.get("many/d197").values());
        // a dataset reached by two paths is listed under both; a link back to an ancestor group is not followed
        assertEquals(got.get("a/f64"), got.get("a/link_to_f64"));
        assertFalse(got.keySet().stream().anyMatch(k -> k.startsWith("a/b/up")), got.keySet().toString());
        // a new-style group (link messages) inside another
        assertArrayEquals(new float[] {1.5f, -2.5f, 1e-30f}, got.get("new/x").values());
        assertEquals(new TensorData(new int[] {1, 2}, new float[] {1, 2}), got.get("new/inner/y"));
    }

    @Test
    void userBlockFourByteOffsetsAndLatestFormat() throws IOException {
        assertEquals(Map.of("x", new TensorData(new int[] {3}, new float[] {0, 1, 2})), read("hdf5-userblock.h5"));
        // 4-byte offsets and lengths (with superblock version 2, which HDF5 chooses for them)
        Map<String, TensorData> small = read("hdf5-offsets4.h5");
        assertEquals(List.of("g/s", "g/x"), new ArrayList<>(small.keySet()));
        assertEquals(new TensorData(new int[] {2, 2}, new float[] {1, 2, 3, 4}), small.get("g/x"));
        assertEquals(new TensorData(new int[0], new float[] {-9}), small.get("g/s"));
        // superblock version 3 with version 2 object headers
        byte[] latest = resource("hdf5-latest.h5");
        assertEquals(3, latest[8]);
        assertEquals(Map.of("g/h/x", new TensorData(new int[] {3}, new float[] {0.5f, 1.5f, -3})),
                Hdf5File.readDatasets(latest, "latest"));
    }

    // ------------------------------------------------------------------------------------------------ refused

    @Test
    void chunkedCompressedAndResizableDatasetsAreRefusedByName() throws IOException {
        assertBad(resource("hdf5-gzip.h5"), "gzip.h5", "chunked dataset 'weights/w'", "compressed");
        assertBad(resource("hdf5-resizable.h5"), "resizable.h5", "chunked dataset 'r'", "resizable");
    }

    @Test
    void softLinksAndUnwrittenDatasetsAreRefusedByName() throws IOException {
        assertBad(resource("hdf5-softlink.h5"), "soft.h5", "soft link 'n/s'");
        assertBad(resource("hdf5-unwritten.h5"), "unwritten.h5", "dataset 'u'", "never written");
    }

    @Test
    void notHdf5AndUnknownSuperblockVersion() throws IOException {
        assertBad(new byte[0], "empty.h5", "signature");
        assertBad("PK\u0003\u0004 not hdf5 at all".getBytes(StandardCharsets.US_ASCII), "m.keras", "signature");
        byte[] b = resource("keras-model.weights.h5");
        b[8] = 4;
        assertBad(b, "v4.h5", "superblock version 4");
        b = resource("keras-model.weights.h5");
        b[13] = 16;
        assertBad(b, "o16.h5", "size of offsets 4 or 8, found 16");
    }

    @Test
    void flippedSignatureByte() throws IOException {
        for (int i = 0; i < 8; i++) {
            byte[] b = resource("keras-model.weights.h5");
            b[i] ^= 0x20;
            assertBad(b, "flipped.h5", "signature");
        }
    }

    // ------------------------------------------------------------------------------------------------ hostile

    @Test
    void everyTruncationIsRefusedOrReadNeverAnotherException() throws IOException {
        byte[] full = resource("keras-model.weights.h5");
        for (int n : new int[] {0, 8, 100, full.length / 2}) {
            assertBad(Arrays.copyOf(full, n), "cut.h5");
        }
        int read = 0;
        for (int n = 0; n < full.length; n++) {
            if (readsOrRefuses(Arrays.copyOf(full, n), "prefix of " + n + " bytes")) {
                read++;
            }
        }
        // the last dataset's data runs to the end of the file, so no shorter prefix holds every dataset
        assertEquals(0, read);
    }

    @Test
    void bytesOverwrittenAnywhereGiveIOExceptionOrValuesNeverAnotherException() throws IOException {
        for (String name : new String[] {"keras-model.weights.h5", "hdf5-mixed.h5", "hdf5-latest.h5",
            "hdf5-offsets4.h5"}) {
            byte[] full = resource(name);
            // every offset of the smaller files; of the larger, enough to land in every structure
            int step = full.length > 30_000 ? 5 : full.length > 20_000 ? 2 : 1;
            Hdf5Checks.damagedEverywhere(Hdf5File::readDatasets, full, name, step);
        }
    }

    @Test
    void damageAtTheRootObjectHeaderIsAnIOException() throws IOException {
        byte[] b = resource("keras-model.weights.h5");
        // superblock v0 with 8-byte offsets: the root symbol table entry's object header address is at 64
        long root = 0;
        for (int i = 7; i >= 0; i--) {
            root = (root << 8) | (b[64 + i] & 0xFF);
        }
        assertTrue(root > 0 && root < b.length, "root at " + root);
        Arrays.fill(b, (int) root, (int) root + 4, (byte) 0xFF);
        assertBad(b, "root.h5", "object header");
    }

    @Test
    void bTreeNodesPointingBackOrSharedEndInIOException() throws IOException {
        byte[] full = resource("hdf5-mixed.h5");
        byte[] tree = "TREE".getBytes(StandardCharsets.US_ASCII);
        int leaves = 0;
        int parents = 0;
        for (int at = 0; at + 4 <= full.length; at++) {
            if (!Arrays.equals(full, at, at + 4, tree, 0, 4)) {
                continue;
            }
            // children follow 8 header bytes, two sibling addresses and a key; each child is followed by a key
            int first = at + 8 + 16 + 8;
            byte[] b = full.clone();
            if (full[at + 5] == 0) {
                // a leaf made an inner node whose first child is itself
                b[at + 5] = 1;
                for (int k = 0; k < 8; k++) {
                    b[first + k] = (byte) ((long) at >>> (8 * k));
                }
                assertBad(b, "self.h5", "B-tree");
                leaves++;
            } else {
                // an inner node whose second child is its first again: that leaf must not be read twice
                System.arraycopy(full, first, b, first + 16, 8);
                assertBad(b, "shared.h5", "again (a cycle or a shared node)");
                parents++;
            }
        }
        assertTrue(leaves >= 3 && parents == 1, leaves + " leaves, " + parents + " parents");
    }
}
