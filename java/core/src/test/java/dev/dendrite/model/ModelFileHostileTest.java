package dev.dendrite.model;

import static dev.dendrite.testing.Bounded.mentions;
import static dev.dendrite.testing.Bounded.rejects;
import static dev.dendrite.testing.Bounded.withProperty;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.io.ModelFile;
import dev.dendrite.io.ReadLimits;
import dev.dendrite.io.Safetensors;

/** Hostile and damaged model files, generated here: each fails fast, in little memory, naming what is wrong. */
class ModelFileHostileTest extends CpuModelTestBase {
    private static final long MB = 1 << 20;

    @TempDir
    Path dir;

    private static Sequential model() {
        return compiledSmallNet();
    }

    private Path saved(String name) throws IOException {
        Path f = dir.resolve(name);
        try (Sequential m = model()) {
            m.save(f);
        }
        return f;
    }

    @Test
    void aConfigDescribingAHugeModelIsCheckedAgainstTheTensorsBeforeAnythingIsAllocated() throws IOException {
        Path good = saved("good.dmodel");
        ModelFile.Contents c = ModelFile.read(good);
        String huge = c.configJson().replaceFirst("\"units\": 16", "\"units\": 500000000");
        assertTrue(huge.contains("500000000"), huge);
        Path f = dir.resolve("huge.dmodel");
        ModelFile.write(f, huge, c.weights()); // a few hundred bytes describing 2e9 kernel values (8 GB)
        IOException e = rejects(IOException.class, 32 * MB, () -> Sequential.load(f, cpu));
        mentions(e, f.toString(), "dense/kernel", "[4, 16]", "[4, 500000000]");
    }

    @Test
    void aHeaderClaimingHugeTensorsIsRejectedAgainstTheFileSize() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[100000,100000],\"data_offsets\":[0,40000000000]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = Files.write(dir.resolve("claims.safetensors"), b.array());
        IOException e = rejects(IOException.class, 8 * MB, () -> Safetensors.read(f));
        mentions(e, f.toString(), "tensor 'w'", "40000000000", "16-byte data buffer");
        rejects(IOException.class, 8 * MB, () -> Sequential.load(f, cpu));
    }

    @Test
    void deeplyNestedJsonInTheHeaderIsRejectedWithoutOverflowingTheStack() throws IOException {
        String header = "{\"__metadata__\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = Files.write(dir.resolve("deep.safetensors"), b.array());
        IOException e = rejects(IOException.class, 32 * MB, () -> Sequential.load(f, cpu));
        mentions(e, f.toString(), "nest");
    }

    @Test
    void theHeaderLimitCanBeLowered() throws Throwable {
        Path f = saved("m.dmodel");
        withProperty(ReadLimits.MAX_SAFETENSORS_HEADER_BYTES, "64", () -> {
            IOException e = rejects(IOException.class, 8 * MB, () -> Sequential.load(f, cpu));
            mentions(e, f.toString(), "at most 64", ReadLimits.MAX_SAFETENSORS_HEADER_BYTES);
        });
        try (Sequential back = Sequential.load(f, cpu)) {
            assertEquals(2, back.layers().size() - 1);
        }
    }

    /** A model whose first kernel holds {@code bad} at index 5. */
    private static Sequential poisoned(float bad) {
        Sequential m = model();
        List<float[]> w = m.getWeights();
        w.get(0)[5] = bad;
        m.setWeights(w);
        return m;
    }

    @Test
    void nonFiniteWeightsAreRefusedAtLoadNamingTheTensorUnlessAllowed() throws Throwable {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path f = dir.resolve("bad-" + bad + ".dmodel");
            try (Sequential m = poisoned(bad)) {
                m.save(f); // a new file: allowed, so it can be inspected
            }
            IOException e = rejects(IOException.class, 16 * MB, () -> Sequential.load(f, cpu));
            mentions(e, f.toString(), "weight 'dense/kernel' holds " + bad + " at index 5",
                    ReadLimits.ALLOW_NON_FINITE_WEIGHTS);
            try (Sequential m = model()) {
                rejects(IOException.class, 16 * MB, () -> m.loadWeights(f));
            }
            withProperty(ReadLimits.ALLOW_NON_FINITE_WEIGHTS, "true", () -> {
                try (Sequential m = Sequential.load(f, cpu)) {
                    assertEquals(bad, m.getWeights().get(0)[5]);
                }
            });
        }
    }

    @Test
    void aNonFiniteModelIsNeverSavedOverAnExistingFile() throws IOException {
        Path f = saved("keep.dmodel");
        byte[] before = Files.readAllBytes(f);
        try (Sequential m = poisoned(Float.NaN)) {
            IOException e = rejects(IOException.class, 16 * MB, () -> m.save(f));
            mentions(e, f.toString(), "not overwritten", "weight 'dense/kernel' holds NaN");
            rejects(IOException.class, 16 * MB, () -> m.saveWeights(f));
        }
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Sequential back = Sequential.load(f, cpu)) {
            assertTrue(Float.isFinite(back.getWeights().get(0)[5]));
        }
    }

    private Path safetensors(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return Files.write(dir.resolve(name), b.array());
    }

    /**
     * A header of millions of two-byte values would parse into about 24 bytes of heap per value (12 times its
     * size; a 100 MB header, the limit, into over a gigabyte). It is counted before it is parsed and rejected,
     * allocating little more than the header's own bytes.
     */
    @Test
    void aLargeHeaderOfTinyValuesIsRejectedBeforeItIsParsed() throws IOException {
        int dims = 10_000_000; // a 20 MB header: an empty tensor of rank 10 million
        String header = "{\"w\":{\"dtype\":\"U8\",\"shape\":[" + "0,".repeat(dims - 1) + "0],\"data_offsets\":[0,0]}}";
        Path f = safetensors("dense.safetensors", header, 0);
        long size = Files.size(f);
        IOException e = rejects(IOException.class, size + 8 * MB, () -> Safetensors.read(f));
        mentions(e, f.toString(), "holds 10000011 JSON values", "for 1 top-level entries", "expected at most");
        rejects(IOException.class, size + 8 * MB, () -> Sequential.load(f, cpu));
    }

    @Test
    void moreTensorEntriesThanTheDataCanHoldAreRejectedBeforeParsing() throws IOException {
        StringBuilder header = new StringBuilder("{");
        for (int i = 0; i < 500_000; i++) {
            header.append(i == 0 ? "" : ",").append("\"").append(i).append("\":{}");
        }
        Path f = safetensors("many.safetensors", header.append('}').toString(), 16);
        IOException e = rejects(IOException.class, Files.size(f) + 8 * MB, () -> Safetensors.read(f));
        mentions(e, f.toString(), "500000 top-level entries", "16-byte data section", "expected at most 1040 tensors");
    }

    /**
     * What passes the count is parsed in memory proportional to the header: a 20 MB metadata string (the shape of
     * a model's configuration) costs its bytes, one String and the parsed value's copy, about 3 times its size.
     */
    @Test
    void aLargeButPlausibleHeaderParsesWithinFourTimesItsSize() throws IOException {
        String header = "{\"__metadata__\":{\"config\":\"" + "x".repeat(20_000_000) + "\"}}";
        Path f = safetensors("big-meta.safetensors", header, 0);
        long size = Files.size(f);
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        assertEquals(20_000_000, Safetensors.read(f).metadata().get("config").length());
        long used = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(used <= 4 * size, "parsing a " + size + "-byte header allocated " + used + " bytes; expected at most"
                + " 4 times its size");
    }
}
