package dev.dendrite.backend;

/**
 * A block of backend memory (host arrays on the CPU backend, device memory on GPUs), allocated once by
 * {@link Backend#allocate} and freed by {@link #close()}. Ops never take buffers directly: they take
 * {@link Slice}s, so that many tensors (for example every parameter of a model) can share one buffer.
 */
public interface Buffer extends AutoCloseable {
    /** The backend that owns this memory. */
    Backend backend();

    DType dtype();

    /** Number of elements (not bytes). */
    int length();

    /** The whole buffer as a slice. */
    default Slice all() {
        return new Slice(this, 0, length());
    }

    /** Elements {@code [offset, offset + length)} of this buffer. */
    default Slice slice(int offset, int length) {
        return new Slice(this, offset, length);
    }

    /** Frees the memory. Idempotent; using the buffer afterwards throws {@link IllegalStateException}. */
    @Override
    void close();
}
