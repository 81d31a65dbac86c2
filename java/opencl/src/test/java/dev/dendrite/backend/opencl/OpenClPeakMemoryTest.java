package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuBackend;

/** peakDeviceBytes counts what the backend holds at once: buffers and scratch, a high-water mark. */
class OpenClPeakMemoryTest {

    @Test
    void thePeakIsTheMostHeldAtOnce() {
        try (OpenClBackend cl = OpenClTestSupport.backendOrSkip()) {
            long base = cl.peakDeviceBytes();
            assertTrue(base >= 0, "a device backend reports its memory: " + base);
            Buffer a = cl.allocate(DType.F32, 1000);
            Buffer b = cl.allocate(DType.U8, 3000);
            assertEquals(base + 4000 + 3000, cl.peakDeviceBytes(), "two buffers held at once");
            a.close();
            b.close();
            try (Buffer c = cl.allocate(DType.I32, 500)) {
                // 2000 bytes on top of what is left: below the earlier high-water mark, which stays.
                assertEquals(base + 7000, cl.peakDeviceBytes());
                assertEquals(500, c.length());
            }
        }
        try (CpuBackend cpu = new CpuBackend(1)) {
            assertEquals(-1, cpu.peakDeviceBytes(), "the cpu backend's memory is the heap");
        }
    }
}
