package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of memory ops: allocation, uploads and downloads (the device slice, then the host array),
 * fill and copy.
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface MemoryChecks extends SliceChecks {
    default void allocate(DType dtype, int length) {
        if (dtype == null) {
            throw new IllegalArgumentException("allocate: dtype is null; expected F32, I32 or U8");
        }
        if (length < 0) {
            throw new IllegalArgumentException("allocate: length " + length + "; expected >= 0");
        }
    }

    default void upload(float[] src, int srcOffset, Slice dst) {
        hostCopy("upload", "dst", dst, DType.F32, "src", src == null ? -1 : src.length, srcOffset);
    }

    default void upload(int[] src, int srcOffset, Slice dst) {
        hostCopy("upload", "dst", dst, DType.I32, "src", src == null ? -1 : src.length, srcOffset);
    }

    default void upload(byte[] src, int srcOffset, Slice dst) {
        hostCopy("upload", "dst", dst, DType.U8, "src", src == null ? -1 : src.length, srcOffset);
    }

    default void download(Slice src, float[] dst, int dstOffset) {
        hostCopy("download", "src", src, DType.F32, "dst", dst == null ? -1 : dst.length, dstOffset);
    }

    default void download(Slice src, int[] dst, int dstOffset) {
        hostCopy("download", "src", src, DType.I32, "dst", dst == null ? -1 : dst.length, dstOffset);
    }

    /** An upload or download: the device side first, then the host array (length -1: null) it fills or reads. */
    private void hostCopy(String op, String name, Slice s, DType want, String hostName, int hostLength,
                          int hostOffset) {
        slice(op, name, s, want, 0, null);
        checkHost(op, hostName, hostLength, hostOffset, s.length());
    }

    default void fill(Slice x) {
        slice("fill", "x", x, DType.F32, 0, null);
    }

    /** The same dtype and length on both sides, and no overlap. */
    default void copy(Slice src, Slice dst) {
        open("copy", "src", src);
        open("copy", "dst", dst);
        sameShape("copy", src, dst);
        noOverlap("copy", "dst", dst, dst.length(), "src", src, src.length(), false);
    }
}
