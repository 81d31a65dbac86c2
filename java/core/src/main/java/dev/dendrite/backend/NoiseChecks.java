package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the dropout and noise families ({@link DropoutOps}, {@link NoiseOps}): elementwise ops on
 * Philox draws, in place or disjoint.
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface NoiseChecks extends SliceChecks {
    /**
     * Dropout forward ({@code op} "dropoutForward", {@code x -> y}) or backward ("dropoutBackward",
     * {@code dy -> dx}): in place or disjoint.
     */
    default void dropout(String op, String inName, Slice in, String outName, Slice out, int n, float rate,
                         Slice counters) {
        nonNegative(op, "n", n);
        halfOpenUnit(op, "rate", rate);
        vector(op, inName, in, n);
        vector(op, outName, out, n);
        counters(op, counters);
        noOverlap(op, outName, out, n, inName, in, n, true);
    }

    /** GaussianNoise: {@code 0 <= stddev}, finite; in place or disjoint. */
    default void gaussianNoise(Slice x, Slice y, int n, float stddev, Slice counters) {
        String op = "gaussianNoise";
        if (!(stddev >= 0f) || Float.isInfinite(stddev)) {
            throw new IllegalArgumentException(op + ": stddev " + stddev + "; expected a finite value >= 0");
        }
        elementwiseNoise(op, "x", x, "y", y, n, counters);
    }

    /** GaussianDropout (either pass): {@code 0 <= rate < 1}; in place or disjoint. */
    default void gaussianDropout(Slice in, Slice out, int n, float rate, Slice counters) {
        String op = "gaussianDropout";
        halfOpenUnit(op, "rate", rate);
        elementwiseNoise(op, "in", in, "out", out, n, counters);
    }

    /** AlphaDropout forward or backward ({@code op} names it): {@code 0 <= rate < 1}; in place or disjoint. */
    default void alphaDropout(String op, String inName, Slice in, String outName, Slice out, int n, float rate,
                              Slice counters) {
        halfOpenUnit(op, "rate", rate);
        elementwiseNoise(op, inName, in, outName, out, n, counters);
    }

    private void elementwiseNoise(String op, String inName, Slice in, String outName, Slice out, int n,
                                  Slice counters) {
        nonNegative(op, "n", n);
        vector(op, inName, in, n);
        vector(op, outName, out, n);
        counters(op, counters);
        noOverlap(op, outName, out, n, inName, in, n, true);
    }
}
