package dev.dendrite.backend;

/**
 * What every backend's {@link Buffer} keeps: the backend that allocated it, its dtype and length, and whether it
 * has been closed. A backend's buffer class adds its memory (Java arrays, a device pointer, a {@code cl_mem}) and
 * how that memory is freed.
 *
 * <p>For backend implementations; not part of the model-level API.
 *
 * @param <B> the backend class that allocates these buffers
 */
public abstract class AbstractBuffer<B extends Backend> implements Buffer {
    private final B backend;
    private final DType dtype;
    private final int length;
    private volatile boolean closed;

    protected AbstractBuffer(B backend, DType dtype, int length) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
    }

    @Override
    public final B backend() {
        return backend;
    }

    @Override
    public final DType dtype() {
        return dtype;
    }

    @Override
    public final int length() {
        return length;
    }

    /** Whether {@link #close()} (of this buffer or of its backend) has run. */
    public final boolean isClosed() {
        return closed;
    }

    /**
     * Marks the buffer closed, for its backend; returns whether it was open, so that its memory is released
     * exactly once.
     */
    protected final synchronized boolean setClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /** {@code CpuBuffer[F32 x 10]}, {@code OpenClBuffer[I32 x 2, closed]}. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + dtype + " x " + length + (closed ? ", closed" : "") + "]";
    }
}
