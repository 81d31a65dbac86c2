package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Device choice and description, the device-side checks of values the host cannot see, and reproducible
 * reductions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClDeviceTest {
    private OpenClBackend backend;

    @BeforeAll
    void open() {
        backend = OpenClTestSupport.backendOrSkip();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void devicesCanBeChosenByIndexOrName() {
        List<OpenClDevice> all = OpenClDevice.all();
        assertFalse(all.isEmpty());
        OpenClDevice first = all.get(0);
        assertEquals(0, first.index());
        assertEquals(first.label(), OpenClDevice.select("0").label());
        String part = first.name().substring(0, Math.min(6, first.name().length())).toUpperCase();
        assertEquals(first.label(), OpenClDevice.select(part).label(), "name match ignores case");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenClDevice.select("no-such-device-xyz"));
        assertTrue(e.getMessage().contains("no-such-device-xyz") && e.getMessage().contains(first.name()),
                "names the selector and lists the devices: " + e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpenClDevice.select(Integer.toString(all.size())));
        // The preferred device is a GPU whenever there is one.
        boolean anyGpu = all.stream().anyMatch(d -> d.typeName().equals("GPU"));
        assertEquals(anyGpu, OpenClDevice.select(null).typeName().equals("GPU"));
    }

    @Test
    void descriptionSaysPlatformDeviceUnitsAndMemory() {
        String d = backend.description();
        OpenClDevice dev = backend.device();
        assertTrue(d.startsWith("opencl: "), d);
        assertTrue(d.contains(dev.platformName()) && d.contains(dev.name()), d);
        assertTrue(d.contains(dev.computeUnits() + " compute units"), d);
        assertTrue(d.contains((dev.globalMemoryBytes() >> 20) + " MiB global memory"), d);
        assertEquals("opencl", backend.name());
    }

    @Test
    void badGatherIndexIsReportedAtTheNextSynchronize() {
        Buffer src = backend.allocate(DType.F32, 4 * 3);
        Buffer idx = backend.allocate(DType.I32, 4);
        Buffer out = backend.allocate(DType.F32, 2 * 3);
        try {
            backend.upload(new int[] {2, 0, 7, 1}, 0, idx.all()); // 7 is not a row of a 4-row source
            Buffer counters = backend.allocate(DType.I32, 2);
            backend.upload(new int[] {0, 1}, 0, counters.all()); // batch 1 of size 2: positions 2 and 3
            backend.gather(src.all(), 3, idx.all(), counters.all(), 2, 2, null, null, out.all());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, backend::synchronize);
            assertTrue(e.getMessage().contains("indices[2] = 7") && e.getMessage().contains("[0, 4)"),
                    e.getMessage());
            backend.synchronize(); // reported once, then cleared
            // A batch counter past the end of the indices.
            backend.upload(new int[] {0, 5}, 0, counters.all());
            backend.gather(src.all(), 3, idx.all(), counters.all(), 2, 2, null, null, out.all());
            float[] got = new float[6];
            e = assertThrows(IllegalArgumentException.class, () -> backend.download(out.all(), got, 0));
            assertTrue(e.getMessage().contains("batch 5"), e.getMessage());
            // The same two faults through the one-launch gather of inputs and labels.
            try (Buffer labels = backend.allocate(DType.I32, 4); Buffer labelsOut = backend.allocate(DType.I32, 2)) {
                backend.upload(new int[] {0, 1}, 0, counters.all());
                backend.gatherBatch(src.all(), 3, null, null, out.all(), labels.all(), 1, labelsOut.all(), idx.all(),
                        counters.all(), 2, 2);
                e = assertThrows(IllegalArgumentException.class, backend::synchronize);
                assertTrue(e.getMessage().contains("indices[2] = 7") && e.getMessage().contains("[0, 4)"),
                        e.getMessage());
                backend.upload(new int[] {0, 5}, 0, counters.all());
                backend.gatherBatch(src.all(), 3, null, null, out.all(), labels.all(), 1, labelsOut.all(), idx.all(),
                        counters.all(), 2, 2);
                e = assertThrows(IllegalArgumentException.class, backend::synchronize);
                assertTrue(e.getMessage().contains("batch 5"), e.getMessage());
            }
            counters.close();
        } finally {
            src.close();
            idx.close();
            out.close();
        }
    }

    @Test
    void sparseLabelOutOfRangeIsReportedAtTheNextDownload() {
        Buffer logits = backend.allocate(DType.F32, 6);
        Buffer labels = backend.allocate(DType.I32, 2);
        Buffer probs = backend.allocate(DType.F32, 6);
        Buffer stats = backend.allocate(DType.F32, Backend.STATS_LENGTH);
        try {
            backend.upload(new int[] {1, -3}, 0, labels.all());
            backend.softmaxCrossEntropy(logits.all(), labels.all(), true, 2, 3, probs.all(), null, 1f, stats.all());
            float[] st = new float[2];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.download(stats.all(), st, 0));
            assertTrue(e.getMessage().contains("label -3 in row 1") && e.getMessage().contains("[0, 3)"),
                    e.getMessage());
            // The good row still counted: loss log 3 (uniform logits), arg-max 0 != label 1.
            backend.download(stats.all(), st, 0);
            assertEquals(Math.log(3), st[0], 1e-6);
            assertEquals(0f, st[1]);
        } finally {
            logits.close();
            labels.close();
            probs.close();
            stats.close();
        }
    }

    @Test
    void reductionsGiveTheSameBitsEveryTime() {
        int rows = 1000;
        int cols = 37;
        float[] x = new float[rows * cols];
        Random rnd = new Random(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 100);
        }
        Buffer xb = backend.allocate(DType.F32, x.length);
        Buffer out = backend.allocate(DType.F32, cols);
        Buffer stats = backend.allocate(DType.F32, 2);
        try {
            backend.upload(x, 0, xb.all());
            float[] first = null;
            for (int run = 0; run < 3; run++) {
                backend.columnSums(xb.all(), rows, cols, out.all());
                backend.fill(stats.all(), 0f);
                backend.regularizerPenalty(xb.all(), x.length, 0.5f, 0.25f, 1f, stats.all());
                float[] got = new float[cols + 1];
                backend.download(out.all(), got, 0);
                Slice loss = stats.slice(Backend.STAT_LOSS, 1);
                backend.download(loss, got, cols);
                if (first == null) {
                    first = got;
                } else {
                    assertArrayEquals(first, got, "run " + run);
                }
            }
        } finally {
            xb.close();
            out.close();
            stats.close();
        }
    }
}
