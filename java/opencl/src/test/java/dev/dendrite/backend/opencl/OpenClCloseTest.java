package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

import org.junit.jupiter.api.Test;

/** close() frees everything, is idempotent, and every later use fails clearly. */
class OpenClCloseTest {

    @Test
    void closeReleasesBuffersAndRejectsLaterUse() {
        OpenClBackend backend = OpenClTestSupport.backendOrSkip();
        Buffer a = backend.allocate(DType.F32, 64);
        Buffer b = backend.allocate(DType.I32, 8);
        Buffer kept = backend.allocate(DType.U8, 3);
        Buffer closedEarly = backend.allocate(DType.F32, 2);
        closedEarly.close();
        assertEquals(3, backend.openBuffers());
        // Work still queued when close() is called must not break it.
        backend.fill(a.all(), 1f);
        backend.biasActivationForward(a.all(), null, 8, 8, ActivationFunction.LINEAR, 0f, a.all());

        backend.close();
        assertEquals(0, backend.openBuffers(), "every buffer freed");
        backend.close(); // idempotent

        Slice s = a.all();
        assertThrows(IllegalStateException.class, () -> backend.fill(s, 2f));
        assertThrows(IllegalStateException.class, () -> backend.download(s, new float[64], 0));
        assertThrows(IllegalStateException.class, () -> backend.allocate(DType.F32, 1));
        assertThrows(IllegalStateException.class, backend::synchronize);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.advanceCounters(b.all()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        // Buffers of a closed backend can still be closed, harmlessly, any number of times.
        kept.close();
        kept.close();
        a.close();
    }

    @Test
    void closedBufferIsRejectedByEveryKindOfOp() {
        try (OpenClBackend backend = OpenClTestSupport.backendOrSkip()) {
            Buffer live = backend.allocate(DType.F32, 16);
            Buffer dead = backend.allocate(DType.F32, 16);
            dead.close();
            dead.close();
            assertEquals(1, backend.openBuffers());
            assertThrows(IllegalStateException.class, () -> backend.copy(live.all(), dead.all()));
            assertThrows(IllegalStateException.class,
                    () -> backend.gemm(false, false, 4, 4, 4, 1f, live.all(), live.all(), 0f, dead.all()));
            assertThrows(IllegalStateException.class, () -> backend.upload(new float[16], 0, dead.all()));
            assertTrue(dead.toString().contains("closed"), dead.toString());
            // The live buffer still works.
            backend.fill(live.all(), 4f);
            float[] got = new float[16];
            backend.download(live.all(), got, 0);
            assertEquals(4f, got[15]);
        }
    }
}
