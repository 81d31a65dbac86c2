package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.noOverlap;
import static dev.dendrite.backend.OpChecks.nonNegative;
import static dev.dendrite.backend.OpChecks.typed;

/**
 * The shapes of check that every family's checks are made of: one slice of this backend (open, its dtype, its
 * length), the kinds of slice the op set names (a {@code rows x cols} matrix, a per-column vector, an n-vector,
 * {@code stats}, {@code counters}, {@code hyper}), and one output kept apart from several inputs. Only
 * {@link #open} needs the backend, which {@link OpChecks} supplies.
 */
interface SliceChecks {
    /** {@code s} is a slice of an open buffer of this backend. */
    void open(String op, String name, Slice s);

    /** {@code s} is a slice of an open buffer of this backend, of dtype {@code want}, with {@code need} elements. */
    default void slice(String op, String name, Slice s, DType want, long need, String what) {
        open(op, name, s);
        typed(op, name, s, want, need, what);
    }

    /** {@link #slice}, for an optional slice: null passes. */
    default void sliceOrNull(String op, String name, Slice s, DType want, long need, String what) {
        if (s != null) {
            slice(op, name, s, want, need, what);
        }
    }

    default void f32(String op, String name, Slice s, long need, String what) {
        slice(op, name, s, DType.F32, need, what);
    }

    /** An F32 {@code rows x cols} matrix. */
    default void matrix(String op, String name, Slice s, int rows, int cols) {
        f32(op, name, s, (long) rows * cols, "rows*cols");
    }

    default void matrixOrNull(String op, String name, Slice s, int rows, int cols) {
        sliceOrNull(op, name, s, DType.F32, (long) rows * cols, "rows*cols");
    }

    /** An F32 vector of one value per column (a bias, a batch-norm statistic). */
    default void perColumn(String op, String name, Slice s, int cols) {
        f32(op, name, s, cols, "cols");
    }

    default void perColumnOrNull(String op, String name, Slice s, int cols) {
        sliceOrNull(op, name, s, DType.F32, cols, "cols");
    }

    /** An F32 vector of {@code n} elements (parameters, their gradients, an optimizer's state). */
    default void vector(String op, String name, Slice s, int n) {
        f32(op, name, s, n, "n");
    }

    default void vectorOrNull(String op, String name, Slice s, int n) {
        sliceOrNull(op, name, s, DType.F32, n, "n");
    }

    /** The F32 {@code stats} slice a loss or penalty adds to. */
    default void stats(String op, Slice s) {
        f32(op, "stats", s, Backend.STATS_LENGTH, "STATS_LENGTH");
    }

    /** The I32 counters slice of a training step. */
    default void counters(String op, Slice s) {
        slice(op, "counters", s, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
    }

    /** The F32 hyper-parameter slice of an optimizer, which holds at least the learning rate. */
    default void hyper(String op, Slice s) {
        f32(op, "hyper", s, Backend.HYPER_LR + 1, "HYPER_LR + 1");
    }

    /** {@code rows >= 0} and {@code cols >= 0}, the dimensions most ops take. */
    default void sizes(String op, int rows, int cols) {
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
    }

    /** {@link #matrix} for two slices, in argument order. */
    default void matrices(String op, int rows, int cols, String name1, Slice s1, String name2, Slice s2) {
        matrix(op, name1, s1, rows, cols);
        matrix(op, name2, s2, rows, cols);
    }

    /** {@link #matrix} for three slices, in argument order. */
    default void matrices(String op, int rows, int cols, String name1, Slice s1, String name2, Slice s2,
                          String name3, Slice s3) {
        matrices(op, rows, cols, name1, s1, name2, s2);
        matrix(op, name3, s3, rows, cols);
    }

    /** {@link #vector} for two slices, in argument order. */
    default void vectors(String op, int n, String name1, Slice s1, String name2, Slice s2) {
        vector(op, name1, s1, n);
        vector(op, name2, s2, n);
    }

    /** {@link #vector} for three slices, in argument order. */
    default void vectors(String op, int n, String name1, Slice s1, String name2, Slice s2, String name3, Slice s3) {
        vectors(op, n, name1, s1, name2, s2);
        vector(op, name3, s3, n);
    }

    /**
     * {@code out} ({@code outLen} elements) overlaps none of the inputs, each of {@code inLen} elements and null
     * for none, checked in argument order: the output rule most ops share, one line instead of one per input.
     */
    default void apart(String op, String outName, Slice out, long outLen, long inLen, String name1, Slice in1,
                       String name2, Slice in2) {
        noOverlap(op, outName, out, outLen, name1, in1, inLen, false);
        noOverlap(op, outName, out, outLen, name2, in2, inLen, false);
    }

    /** {@link #apart} against three inputs. */
    default void apart(String op, String outName, Slice out, long outLen, long inLen, String name1, Slice in1,
                       String name2, Slice in2, String name3, Slice in3) {
        apart(op, outName, out, outLen, inLen, name1, in1, name2, in2);
        noOverlap(op, outName, out, outLen, name3, in3, inLen, false);
    }

    /** {@link #apart} against four inputs. */
    default void apart(String op, String outName, Slice out, long outLen, long inLen, String name1, Slice in1,
                       String name2, Slice in2, String name3, Slice in3, String name4, Slice in4) {
        apart(op, outName, out, outLen, inLen, name1, in1, name2, in2, name3, in3);
        noOverlap(op, outName, out, outLen, name4, in4, inLen, false);
    }
}
