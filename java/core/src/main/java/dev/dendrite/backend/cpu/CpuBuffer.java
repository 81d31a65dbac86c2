package dev.dendrite.backend.cpu;

import dev.dendrite.backend.AbstractBuffer;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;

/**
 * A {@link Buffer} of the {@link CpuBackend}: a plain Java array of the buffer's {@link DType}
 * ({@code float[]} for F32, {@code int[]} for I32, {@code byte[]} for U8). Only the owning backend reads the
 * array; after {@link #close()} it is dropped so that the garbage collector can reclaim it.
 */
public final class CpuBuffer extends AbstractBuffer<CpuBackend> {
    // Exactly one of these is non-null while the buffer is open; all are null once closed.
    private float[] floats;
    private int[] ints;
    private byte[] bytes;

    CpuBuffer(CpuBackend backend, DType dtype, int length) {
        super(backend, dtype, length);
        switch (dtype) {
            case F32:
                floats = new float[length];
                break;
            case I32:
                ints = new int[length];
                break;
            case U8:
                bytes = new byte[length];
                break;
            default:
                throw new IllegalArgumentException("unsupported dtype " + dtype);
        }
    }

    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        backend().release(this);
    }

    /** Called by the backend, which has already forgotten this buffer. */
    void markClosed() {
        setClosed();
        floats = null;
        ints = null;
        bytes = null;
    }

    float[] floats() {
        return floats;
    }

    int[] ints() {
        return ints;
    }

    byte[] bytes() {
        return bytes;
    }
}
