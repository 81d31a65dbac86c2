package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Slice;

/**
 * A float slice resolved once per op: the {@link CpuBuffer}'s array and where the slice starts in it. Every CPU op
 * used to unpack each of its slices into an array and an offset by hand; this carries the pair as one value, so
 * that loops index relative to the slice ({@link #get}, {@link #set}) and helpers take one argument per slice.
 * The fields are final, so the JIT hoists both out of a loop and the indexing costs what {@code a[o + i]} does.
 *
 * @param array  the buffer's floats
 * @param offset the slice's first element in {@code array}
 */
record CpuFloats(float[] array, int offset) {
    /** The view of a slice the op checks have passed; null for a null (optional) slice. */
    static CpuFloats of(Slice s) {
        return s == null ? null : new CpuFloats(CpuSlices.floats(s), s.offset());
    }

    /** Element {@code i} of the slice. */
    float get(int i) {
        return array[offset + i];
    }

    void set(int i, float v) {
        array[offset + i] = v;
    }

    /** Copies elements {@code [i, i + n)} of the slice to {@code dst[0, n)}: staging a row segment in a tile. */
    void read(int i, float[] dst, int n) {
        System.arraycopy(array, offset + i, dst, 0, n);
    }

    /** Copies {@code src[0, n)} to elements {@code [i, i + n)} of the slice. */
    void write(int i, float[] src, int n) {
        System.arraycopy(src, 0, array, offset + i, n);
    }

    /** Where element {@code i} of the slice is in {@link #array}, for the loops that take an array and a start. */
    int at(int i) {
        return offset + i;
    }

    /** Whether the two views start at the same element of the same array (an op running in place). */
    boolean sameStart(CpuFloats o) {
        return array == o.array && offset == o.offset;
    }
}
