package dev.dendrite.backend;

/**
 * A contiguous run of elements inside a {@link Buffer}: what every {@link Backend} op reads and writes.
 * Matrices are row-major: a {@code rows x cols} matrix occupies {@code rows * cols} consecutive elements.
 */
public final class Slice {
    private final Buffer buffer;
    private final int offset;
    private final int length;

    public Slice(Buffer buffer, int offset, int length) {
        if (buffer == null) {
            throw new IllegalArgumentException("buffer is null");
        }
        if (offset < 0 || length < 0 || (long) offset + length > buffer.length()) {
            throw new IllegalArgumentException("slice [" + offset + ", " + ((long) offset + length)
                    + ") does not fit in a buffer of " + buffer.length() + " elements");
        }
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
    }

    public Buffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    public DType dtype() {
        return buffer.dtype();
    }

    /** A sub-slice, relative to this slice's start. */
    public Slice slice(int from, int len) {
        if (from < 0 || len < 0 || (long) from + len > length) {
            throw new IllegalArgumentException("sub-slice [" + from + ", " + ((long) from + len)
                    + ") does not fit in a slice of " + length + " elements");
        }
        return new Slice(buffer, offset + from, len);
    }

    @Override
    public String toString() {
        return "Slice[" + buffer.dtype() + " " + offset + "+" + length + "]";
    }
}
