package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;

import org.jocl.cl_mem;

/**
 * Device memory of an {@link OpenClBackend}: one {@code cl_mem} of {@code length} elements. Freed by
 * {@link #close()} or, at the latest, when the backend closes. A zero-length buffer holds no device memory.
 */
public final class OpenClBuffer implements Buffer {
    private final OpenClBackend backend;
    private final DType dtype;
    private final int length;
    private final cl_mem mem;
    private volatile boolean closed;

    OpenClBuffer(OpenClBackend backend, DType dtype, int length, cl_mem mem) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        this.mem = mem;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int length() {
        return length;
    }

    /** Size in bytes. */
    public long bytes() {
        return (long) length * dtype.bytes();
    }

    /** The device memory; null for a zero-length buffer. */
    cl_mem mem() {
        return mem;
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the buffer closed; returns whether it was open (so that its memory is released exactly once). */
    boolean markClosed() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
            return true;
        }
    }

    /** Frees the device memory. Idempotent; commands already issued that use the buffer still complete. */
    @Override
    public void close() {
        backend.release(this);
    }

    @Override
    public String toString() {
        return "OpenClBuffer[" + dtype + " x " + length + (closed ? ", closed" : "") + "]";
    }
}
