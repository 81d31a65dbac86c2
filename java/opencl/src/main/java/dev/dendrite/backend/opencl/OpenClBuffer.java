package dev.dendrite.backend.opencl;

import dev.dendrite.backend.AbstractBuffer;
import dev.dendrite.backend.DType;

import org.jocl.cl_mem;

/**
 * Device memory of an {@link OpenClBackend}: one {@code cl_mem} of {@code length} elements. Freed by
 * {@link #close()} or, at the latest, when the backend closes. A zero-length buffer holds no device memory.
 */
public final class OpenClBuffer extends AbstractBuffer<OpenClBackend> {
    private final cl_mem mem;

    OpenClBuffer(OpenClBackend backend, DType dtype, int length, cl_mem mem) {
        super(backend, dtype, length);
        this.mem = mem;
    }

    /** Size in bytes. */
    public long bytes() {
        return (long) length() * dtype().bytes();
    }

    /** The device memory; null for a zero-length buffer. */
    cl_mem mem() {
        return mem;
    }

    /** Marks the buffer closed; returns whether it was open (so that its memory is released exactly once). */
    boolean markClosed() {
        return setClosed();
    }

    /** Frees the device memory. Idempotent; commands already issued that use the buffer still complete. */
    @Override
    public void close() {
        backend().release(this);
    }
}
