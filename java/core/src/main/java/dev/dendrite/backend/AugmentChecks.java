package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the augmentation family ({@link AugmentOps}).
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface AugmentChecks extends SliceChecks {
    /**
     * An augmentation op: {@code rows} images of {@code height x width} from {@code x} to {@code y}, in place only
     * where {@code inPlace} allows it.
     */
    default void augment(String op, Slice x, Slice y, int rows, int height, int width, Object spec, Slice counters,
                         boolean inPlace) {
        nonNegative(op, "rows", rows);
        positive(op, "height", height);
        positive(op, "width", width);
        if (spec == null) {
            throw new IllegalArgumentException(op + ": spec is null; expected the augmentation's ranges");
        }
        long n = (long) rows * height * width;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + rows + " images of " + height + " x " + width
                    + " hold more than 2^31 - 1 values");
        }
        vector(op, "x", x, (int) n);
        vector(op, "y", y, (int) n);
        counters(op, counters);
        noOverlap(op, "y", y, n, "x", x, n, inPlace);
    }

    /** {@link Backend#mixup}: the sizes, alpha, then each slice in argument order, and no output over an input. */
    default void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                       Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        String op = "mixup";
        nonNegative(op, "rows", rows);
        positive(op, "xWidth", xWidth);
        positive(op, "classes", classes);
        checkMixupAlpha(op, alpha);
        long nx = (long) rows * xWidth;
        long ny = (long) rows * classes;
        if (nx + ny > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + rows + " rows of " + xWidth + " inputs and " + classes
                    + " classes hold more than 2^31 - 1 values");
        }
        f32(op, "x", x, nx, "rows*xWidth");
        if (sparseLabels) {
            slice(op, "y", y, DType.I32, rows, "rows (class indices)");
        } else {
            f32(op, "y", y, ny, "rows*classes");
        }
        counters(op, counters);
        f32(op, "lambdas", lambdas, rows, "rows");
        f32(op, "xOut", xOut, nx, "rows*xWidth");
        f32(op, "yOut", yOut, ny, "rows*classes");
        long yLen = sparseLabels ? rows : ny;
        noOverlap(op, "lambdas", lambdas, rows, "x", x, nx, false);
        noOverlap(op, "lambdas", lambdas, rows, "y", y, yLen, false);
        noOverlap(op, "xOut", xOut, nx, "x", x, nx, false);
        noOverlap(op, "xOut", xOut, nx, "y", y, yLen, false);
        noOverlap(op, "yOut", yOut, ny, "x", x, nx, false);
        noOverlap(op, "yOut", yOut, ny, "y", y, yLen, false);
        noOverlap(op, "xOut", xOut, nx, "lambdas", lambdas, rows, false);
        noOverlap(op, "yOut", yOut, ny, "lambdas", lambdas, rows, false);
        noOverlap(op, "yOut", yOut, ny, "xOut", xOut, nx, false);
    }
}
