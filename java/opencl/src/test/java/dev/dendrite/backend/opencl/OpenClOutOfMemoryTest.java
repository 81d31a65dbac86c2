package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;

import org.junit.jupiter.api.Test;

/** An allocation the device cannot hold fails with the sizes involved, and leaves the backend usable. */
class OpenClOutOfMemoryTest {

    @Test
    void absurdAllocationNamesTheBytesAndTheDeviceMemory() {
        try (OpenClBackend backend = OpenClTestSupport.backendOrSkip()) {
            long requested = 4L * Integer.MAX_VALUE; // 8 GiB: beyond any single allocation PoCL or a GPU allows
            long global = backend.device().globalMemoryBytes();
            if (requested <= backend.device().maxAllocationBytes()) {
                // A device that might really satisfy it: asking would be slow, not a test of the error path.
                org.junit.jupiter.api.Assumptions.assumeTrue(false, "device allows single allocations of "
                        + backend.device().maxAllocationBytes() + " bytes");
            }
            OpenClException e = assertThrows(OpenClException.class,
                    () -> backend.allocate(DType.F32, Integer.MAX_VALUE));
            String msg = e.getMessage();
            assertTrue(msg.contains("out of device memory"), msg);
            assertTrue(msg.contains(Long.toString(requested) + " bytes requested"), "requested bytes: " + msg);
            assertTrue(msg.contains(Long.toString(global)), "device's global memory: " + msg);
            assertEquals(0, backend.openBuffers(), "nothing half-allocated is kept");

            // Still usable: allocate, compute, read back.
            Buffer b = backend.allocate(DType.F32, 1000);
            backend.fill(b.all(), 1.5f);
            Buffer sum = backend.allocate(DType.F32, 1);
            backend.columnSums(b.all(), 1000, 1, sum.all());
            float[] got = new float[1];
            backend.download(sum.all(), got, 0);
            assertArrayEquals(new float[] {1500f}, got);
        }
    }
}
