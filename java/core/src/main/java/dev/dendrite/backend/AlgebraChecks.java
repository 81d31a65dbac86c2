package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the GEMM and reduction families ({@link GemmOps}, {@link ReductionOps}).
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface AlgebraChecks extends SliceChecks {
    default void gemm(int m, int n, int k, Slice a, Slice b, Slice c) {
        String op = "gemm";
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        nonNegative(op, "k", k);
        f32(op, "a", a, (long) m * k, "m*k");
        f32(op, "b", b, (long) k * n, "k*n");
        f32(op, "c", c, (long) m * n, "m*n");
        noOverlap(op, "c", c, (long) m * n, "a", a, (long) m * k, false);
        noOverlap(op, "c", c, (long) m * n, "b", b, (long) k * n, false);
    }

    default void columnSums(Slice x, int rows, int cols, Slice out) {
        String op = "columnSums";
        sizes(op, rows, cols);
        matrix(op, "x", x, rows, cols);
        perColumn(op, "out", out, cols);
        noOverlap(op, "out", out, cols, "x", x, (long) rows * cols, false);
    }
}
