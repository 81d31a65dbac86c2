package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the data-movement family ({@link DataOps}).
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface DataChecks extends SliceChecks {
    /**
     * The first half of {@link Backend#gather}'s checks, what it reads: the sizes, {@code src} (any dtype), the
     * optional {@code indices} and {@code counters}, and, without counters, that batch 0 lies within the rows of
     * src or the elements of indices. With counters the batch lives in device memory: the CPU backend checks it
     * (and the indices' values) next, the GPU backends on the device. {@link #gatherOutput} follows.
     */
    default void gatherRows(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows) {
        String op = "gather";
        positive(op, "width", width);
        nonNegative(op, "batchSize", batchSize);
        nonNegative(op, "rows", rows);
        open(op, "src", src);
        sliceOrNull(op, "indices", indices, DType.I32, 0, null);
        sliceOrNull(op, "counters", counters, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
        if (counters == null) {
            batchInRange(op, 0, batchSize, rows, indices == null ? src.length() / width : indices.length(),
                    indices != null);
        }
    }

    /**
     * The second half of {@link Backend#gather}'s checks, what it writes: no transform of integer rows, an
     * {@code out} of the source's kind (I32 for I32, else F32) with {@code rows * width} elements, the optional
     * {@code scale} and {@code shift} of {@code width}, and no overlap of out with src.
     */
    default void gatherOutput(Slice src, int width, int rows, Slice scale, Slice shift, Slice out) {
        String op = "gather";
        noTransformOfIntegers(op, src.dtype(), scale, shift);
        long total = (long) rows * width;
        slice(op, "out", out, src.dtype() == DType.I32 ? DType.I32 : DType.F32, total, "rows*width");
        sliceOrNull(op, "scale", scale, DType.F32, width, "width");
        sliceOrNull(op, "shift", shift, DType.F32, width, "width");
        noOverlap(op, "out", out, total, "src", src, src.length(), false);
    }

    /** {@code maxN}: the largest permutation the backend can sort. */
    default void randomPermutation(Slice out, int n, int maxN) {
        String op = "randomPermutation";
        nonNegative(op, "n", n);
        atMost(op, "n", n, maxN);
        slice(op, "out", out, DType.I32, n, "n");
    }

    default void advanceCounters(Slice counters) {
        counters("advanceCounters", counters);
    }
}
