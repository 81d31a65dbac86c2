package dev.dendrite.io;

import dev.dendrite.backend.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------------ helpers

    private static TensorData t(float[] values, int... shape) {
        return new TensorData(shape, values);
    }

    /** A file made of an 8-byte little-endian {@code headerSize}, the header bytes, then {@code data}. */
    private Path craft(String name, long headerSize, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerSize).put(header).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    /** A file with {@code headerJson} as its header (correct size, unpadded) followed by {@code dataBytes} zeros. */
    private Path craft(String headerJson, int dataBytes) throws IOException {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        return craft("crafted.safetensors", h.length, h, new byte[dataBytes]);
    }

    /** Reading {@code f} fails with an IOException whose message names the file and contains every fragment. */
    private static IOException assertBad(Path f, String... fragments) {
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        String m = e.getMessage();
        assertTrue(m.startsWith(f.toString()), () -> "message should name the file: " + m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), () -> "expected \"" + fragment + "\" in: " + m);
        }
        return e;
    }

    private static byte[] floatsLE(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private Path sampleFile() throws IOException {
        Map<String, TensorData> m = new LinkedHashMap<>();
        m.put("dense/kernel", t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("dense/bias", t(new float[] {0.5f, -0.5f, 0}, 3));
        Path f = dir.resolve("sample.safetensors");
        Safetensors.write(f, m, Map.of("k", "v"));
        return f;
    }

    // ------------------------------------------------------------------------------------------------ layout

    @Test
    void knownBytesOfOneTwoByTwoTensor() throws IOException {
        Path f = dir.resolve("w.safetensors");
        Map<String, TensorData> m = new LinkedHashMap<>();
        m.put("w", t(new float[] {1f, 2f, 3f, -0.5f}, 2, 2));
        Safetensors.write(f, m, null);

        // Built from the spec by hand: the JSON is 57 bytes, padded with 7 spaces to 64 = 0x40.
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
        assertEquals(57, json.length());
        byte[] expected = new byte[8 + 64 + 16];
        expected[0] = 0x40; // header size 64, little-endian u64: 40 00 00 00 00 00 00 00
        byte[] js = json.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(js, 0, expected, 8, js.length);
        Arrays.fill(expected, 8 + 57, 8 + 64, (byte) ' ');
        byte[] data = {
            0x00, 0x00, (byte) 0x80, 0x3F, // 1.0f  = 0x3F800000
            0x00, 0x00, 0x00, 0x40, //        2.0f  = 0x40000000
            0x00, 0x00, 0x40, 0x40, //        3.0f  = 0x40400000
            0x00, 0x00, 0x00, (byte) 0xBF, // -0.5f = 0xBF000000
        };
        System.arraycopy(data, 0, expected, 72, 16);
        assertArrayEquals(expected, Files.readAllBytes(f));

        // And the reader decodes those hand-made bytes.
        Path hand = craft("hand.safetensors", 64, Arrays.copyOfRange(expected, 8, 72), data);
        SafetensorsFile r = Safetensors.read(hand);
        assertEquals(List.of("w"), r.names());
        assertEquals(m.get("w"), r.tensor("w"));
        assertEquals(Map.of(), r.metadata());
    }

    @Test
    void metadataComesFirstAndOffsetsFollowInsertionOrder() throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("z", "1");
        meta.put("a", "caf\u00e9 \"q\" \n");
        Map<String, TensorData> m = new LinkedHashMap<>();
        m.put("z", t(new float[] {1}, 1));
        m.put("a", t(new float[] {2, 3}, 2));
        Path f = dir.resolve("o.safetensors");
        Safetensors.write(f, m, meta);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"z\":\"1\",\"a\":\"caf\u00e9 \\\"q\\\" \\n\"},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}"), header);

        SafetensorsFile r = Safetensors.read(f);
        assertEquals(List.of("z", "a"), r.names());
        assertEquals(List.of("z", "a"), List.copyOf(r.metadata().keySet()));
        assertEquals(meta, r.metadata());
    }

    @Test
    void headerIsSpacePaddedSoDataIsEightByteAligned() throws IOException {
        for (int len = 1; len <= 17; len++) {
            Path f = dir.resolve("a" + len + ".safetensors");
            Map<String, TensorData> m = new LinkedHashMap<>();
            m.put("x".repeat(len), t(new float[] {len}, 1));
            Safetensors.write(f, m, Map.of());
            byte[] bytes = Files.readAllBytes(f);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header size " + n);
            assertEquals(8 + n + 4, bytes.length);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            String trimmed = header.stripTrailing();
            assertTrue(trimmed.endsWith("}"));
            assertTrue(header.length() - trimmed.length() < 8, "at most 7 bytes of padding");
            assertTrue(header.substring(trimmed.length()).chars().allMatch(c -> c == ' '));
            assertEquals(len, Safetensors.read(f).tensor("x".repeat(len)).get(0));
        }
    }

    // ------------------------------------------------------------------------------------------------ round trips

    @Test
    void floatsRoundTripBitExactly() throws IOException {
        float[] special = {
            0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, Math.nextDown(Float.MIN_NORMAL),
            Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            0.1f, (float) Math.PI, -123456.789f, 1f / 3,
        };
        Map<String, TensorData> m = new LinkedHashMap<>();
        m.put("special", t(special, 4, 4));
        float[] big = new float[100_003]; // several write chunks, odd tail
        for (int i = 0; i < big.length; i++) {
            big[i] = Float.intBitsToFloat(i * 0x9E3779B9);
            if (Float.isNaN(big[i])) {
                big[i] = i;
            }
        }
        m.put("big", t(big, big.length));
        m.put("scalar", t(new float[] {42f}));
        m.put("empty", t(new float[0], 0, 3));
        Path f = dir.resolve("rt.safetensors");
        Safetensors.write(f, m, null);

        SafetensorsFile r = Safetensors.read(f);
        assertEquals(List.of("special", "big", "scalar", "empty"), r.names());
        LinkedHashMap<String, TensorData> back = r.tensors();
        for (String name : m.keySet()) {
            TensorData a = m.get(name);
            TensorData b = back.get(name);
            assertArrayEquals(a.shape(), b.shape(), name);
            float[] av = a.values();
            float[] bv = b.values();
            assertEquals(av.length, bv.length);
            for (int i = 0; i < av.length; i++) {
                if (!Float.isNaN(av[i])) { // NaN payloads are not promised
                    assertEquals(Float.floatToRawIntBits(av[i]), Float.floatToRawIntBits(bv[i]), name + "[" + i + "]");
                } else {
                    assertTrue(Float.isNaN(bv[i]));
                }
            }
        }
        assertEquals(0, back.get("scalar").rank());
        assertEquals(0, back.get("empty").size());
    }

    @Test
    void emptyFileWithoutTensorsRoundTrips() throws IOException {
        Path f = dir.resolve("none.safetensors");
        Safetensors.write(f, Map.of(), null);
        assertArrayEquals(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '},
                Files.readAllBytes(f));
        SafetensorsFile r = Safetensors.read(f);
        assertTrue(r.names().isEmpty());
        assertTrue(r.metadata().isEmpty());
    }

    @Test
    void intAndByteTensorsRoundTrip() throws IOException {
        Map<String, StoredTensor> m = new LinkedHashMap<>();
        m.put("pixels", StoredTensor.u8(new int[] {3}, new byte[] {0, 127, (byte) 255})); // odd size: unaligned next
        m.put("steps", StoredTensor.i32(new int[] {2, 2}, new int[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}));
        m.put("w", StoredTensor.f32(t(new float[] {1.5f}, 1)));
        Path f = dir.resolve("mixed.safetensors");
        Safetensors.writeStored(f, m, Map.of("a", "b"));

        SafetensorsFile r = Safetensors.read(f);
        assertEquals(m, r.stored());
        assertEquals(DType.I32, r.stored().get("steps").dtype());
        assertArrayEquals(new int[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, r.stored().get("steps").toInts());
        assertEquals(255, r.stored().get("pixels").toBytes()[2] & 0xFF);
        assertArrayEquals(new byte[] {-1, -1, -1, 127}, Arrays.copyOfRange(
                r.stored().get("steps").littleEndianBytes(), 8, 12), "Integer.MAX_VALUE, little-endian");
        assertEquals(1.5f, r.tensor("w").get(0));
        IllegalStateException e = assertThrows(IllegalStateException.class, r::tensors);
        assertTrue(e.getMessage().contains("tensor 'pixels'") && e.getMessage().contains("U8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.tensor("nope"));
    }

    // ------------------------------------------------------------------------------------------------ write checks

    @Test
    void invalidInputIsRejectedBeforeTouchingTheFile() throws IOException {
        Path f = sampleFile();
        byte[] before = Files.readAllBytes(f);

        Map<String, TensorData> reserved = new LinkedHashMap<>();
        reserved.put("ok", t(new float[] {1}, 1));
        reserved.put("__metadata__", t(new float[] {1}, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(f, reserved, null));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());

        Map<String, TensorData> nullTensor = new LinkedHashMap<>();
        nullTensor.put("x", null);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, nullTensor, null));

        Map<String, String> badMeta = new LinkedHashMap<>();
        badMeta.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, Map.of(), badMeta));

        Map<String, TensorData> surrogate = new LinkedHashMap<>();
        surrogate.put("bad\uD800name", t(new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, surrogate, null));

        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("sample.safetensors"), AtomicFilesTest.listing(dir));
    }

    @Test
    void tensorDataValidatesAndIsImmutable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TensorData(new int[] {2, 3}, new float[5]));
        assertEquals("shape [2, 3] holds 6 values but 5 were given", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TensorData(new int[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorData(new int[] {65536, 65536}, new float[0]));
        int[] shape = {2};
        float[] v = {1, 2};
        TensorData d = new TensorData(shape, v);
        shape[0] = 9;
        v[0] = 9;
        d.values()[1] = 9;
        d.shape()[0] = 9;
        assertEquals(new TensorData(new int[] {2}, new float[] {1, 2}), d);
    }

    // ------------------------------------------------------------------------------------------------ corruption

    @Test
    void tooShortFiles() throws IOException {
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        assertBad(empty, "file is 0 bytes; expected at least 8");
        Path five = Files.write(dir.resolve("five.safetensors"), new byte[5]);
        assertBad(five, "file is 5 bytes");
    }

    @Test
    void truncationAnywhereIsReported() throws IOException {
        Path f = sampleFile();
        byte[] full = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int dataStart = 8 + (int) n;
        Path cut = dir.resolve("cut.safetensors");
        for (int len = 0; len < full.length; len++) {
            Files.write(cut, Arrays.copyOf(full, len));
            IOException e = assertBad(cut);
            String m = e.getMessage();
            if (len < 8) {
                assertTrue(m.contains("expected at least 8"), m);
            } else if (len < dataStart) {
                assertTrue(m.contains("header size " + n + " exceeds the " + (len - 8) + " bytes after it"), m);
            } else {
                assertTrue(m.contains("reach past the " + (len - dataStart) + "-byte data buffer")
                        && m.contains("truncated file?"), m);
            }
        }
        // Inside the first tensor names that tensor; inside the second names the second.
        Files.write(cut, Arrays.copyOf(full, dataStart + 10));
        assertBad(cut, "tensor 'dense/kernel'", "data_offsets [0, 24]");
        Files.write(cut, Arrays.copyOf(full, full.length - 1));
        assertBad(cut, "tensor 'dense/bias'", "data_offsets [24, 36]", "35-byte data buffer");
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws IOException {
        Path f = sampleFile();
        byte[] full = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(full, full.length + 3));
        assertBad(f, "data buffer has 39 bytes but the tensors cover 36", "3 stray bytes");
    }

    @Test
    void corruptHeaderSize() throws IOException {
        Path f = sampleFile();
        byte[] full = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).getLong();

        byte[] huge = full.clone();
        Arrays.fill(huge, 0, 8, (byte) 0xFF);
        Files.write(f, huge);
        assertBad(f, "header size 18446744073709551615 exceeds");

        byte[] flipped = full.clone();
        flipped[6] ^= 0x01; // a bit far above the file size
        Files.write(f, flipped);
        assertBad(f, "header size " + (n + (1L << 48)) + " exceeds");

        byte[] shorter = full.clone();
        ByteBuffer.wrap(shorter).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n - 16);
        Files.write(f, shorter);
        assertBad(f, "header (at byte 8) is not valid JSON", "found end of input");

        byte[] bigEndian = full.clone();
        ByteBuffer.wrap(bigEndian).order(ByteOrder.BIG_ENDIAN).putLong(0, n);
        Files.write(f, bigEndian);
        assertBad(f, "exceeds");
    }

    @Test
    void absurdHeaderSizeInALargeFile() throws IOException {
        Path f = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(Safetensors.MAX_HEADER_BYTES + 1000); // sparse: nothing is read past the size check
            byte[] len = new byte[8];
            ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).putLong(Safetensors.MAX_HEADER_BYTES + 1);
            raf.write(len);
        }
        assertBad(f, "header size 100000001 is absurd; expected at most 100000000");
    }

    @Test
    void headerThatIsNotJsonOrNotAnObject() throws IOException {
        assertBad(craft("{nope", 0), "not valid JSON", "expected '\"' (a member name) or '}' at offset 1, found 'n'");
        assertBad(craft("", 0), "not valid JSON", "found end of input");
        assertBad(craft("[1,2]   ", 0), "header is an array of 2 elements; expected a JSON object");
        assertBad(craft("\"x\"", 0), "header is the string \"x\"; expected a JSON object");
        assertBad(craft("{} {}", 0), "expected end of input at offset 3");
        byte[] badUtf8 = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
        assertBad(craft("utf.safetensors", badUtf8.length, badUtf8, new byte[0]), "header is not valid UTF-8");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertBad(craft("{\"a\":" + entry + ",\"a\":" + entry + "}", 4), "duplicate key \"a\"");
    }

    @Test
    void invalidTensorEntries() throws IOException {
        String shape = "\"shape\":[2]";
        String offsets = "\"data_offsets\":[0,8]";
        assertBad(craft("{\"t\":[]}", 0), "tensor 't': entry is an array of 0 elements; expected an object");
        assertBad(craft("{\"t\":{" + shape + "," + offsets + "}}", 8), "tensor 't': dtype is null");
        assertBad(craft("{\"t\":{\"dtype\":4," + shape + "," + offsets + "}}", 8), "dtype is the number 4");
        assertBad(craft("{\"t\":{\"dtype\":\"F16\"," + shape + "," + offsets + "}}", 8),
                "tensor 't': dtype \"F16\" is not supported; expected F32, I32 or U8");
        assertBad(craft("{\"t\":{\"dtype\":\"f32\"," + shape + "," + offsets + "}}", 8), "dtype \"f32\"");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\"," + offsets + "}}", 8), "shape is null");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":\"2\"," + offsets + "}}", 8), "shape is the string");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,-1]," + offsets + "}}", 8),
                "shape[1] is the number -1; expected an integer from 0 to 2147483647");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5]," + offsets + "}}", 8), "shape[0] is the number 1.5");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":[3e9]," + offsets + "}}", 8), "shape[0]");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\"," + shape + "}}", 8), "data_offsets is null; expected [begin, end]");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\"," + shape + ",\"data_offsets\":[0,4,8]}}", 8),
                "data_offsets is an array of 3 elements");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\"," + shape + ",\"data_offsets\":[8,0]}}", 8),
                "data_offsets [8, 0] end before they begin");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\"," + shape + ",\"data_offsets\":[0,\"8\"]}}", 8),
                "data_offsets[1] is the string \"8\"");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\"," + shape + "," + offsets + ",\"extra\":1}}", 8),
                "unexpected key \"extra\"");
        assertBad(craft("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ value of \"k\" is the number 1");
        assertBad(craft("{\"__metadata__\":[]}", 0), "__metadata__ is an array");
    }

    @Test
    void offsetsThatDoNotMatchTheShapeAndDtype() throws IOException {
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16),
                "tensor 't': data_offsets [0, 16] span 16 bytes; expected 12 (shape [3] of F32)");
        assertBad(craft("{\"t\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16),
                "span 16 bytes; expected 4 (shape [2, 2] of U8)");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,4],\"data_offsets\":[0,16]}}", 16),
                "tensor 't': shape [2147483647, 2147483647, 4] of F32 needs more than");
        assertBad(craft("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "reach past the 8-byte data buffer");
    }

    @Test
    void overlappingAndGappedTensors() throws IOException {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}";
        assertBad(craft("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24),
                "tensor 'b': data_offsets [8, 24] overlap tensor 'a' at [0, 16]; expected it to begin at 16");
        assertBad(craft("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16),
                "overlap tensor 'a'");
        assertBad(craft("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}}", 24),
                "tensor 'b': data_offsets [20, 24] leave a hole of 4 bytes before it; expected it to begin at 16");
        assertBad(craft("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "hole of 4 bytes");
    }

    @Test
    void acceptsValidFilesFromOtherWriters() throws IOException {
        // Unpadded header, tensors listed out of offset order, a zero-size tensor, metadata last, whitespace.
        String h = "{ \"b\": {\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]},\n"
                + "\"a\":{\"data_offsets\":[0,4],\"shape\":[],\"dtype\":\"F32\"},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[8,8]},"
                + "\"__metadata__\":{\"format\":\"pt\"} }";
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(2.5f).putInt(-7).array();
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        SafetensorsFile r = Safetensors.read(craft("other.safetensors", hb.length, hb, data));
        assertEquals(List.of("b", "a", "z"), r.names(), "header order, not offset order");
        assertEquals(2.5f, r.tensor("a").get(0));
        assertArrayEquals(new int[] {-7}, r.stored().get("b").toInts());
        assertArrayEquals(new int[] {0, 5}, r.stored().get("z").shape());
        assertEquals(Map.of("format", "pt"), r.metadata());
        assertFalse(r.toString().isEmpty());
    }
}
