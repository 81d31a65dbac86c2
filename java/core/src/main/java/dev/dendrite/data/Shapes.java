package dev.dendrite.data;

import java.util.Arrays;

/** Shape checks shared by {@link Tensor} and {@link ByteTensor}. */
final class Shapes {
    private Shapes() {
    }

    /**
     * The sample shape of {@code shape = [rows, dims...]} over an array of {@code length} elements ({@code [1]}
     * for a one-dimensional shape).
     *
     * @throws IllegalArgumentException if the shape is empty, has a negative dimension, or does not hold
     *         exactly {@code length} values
     */
    static int[] sampleShape(int[] shape, int length) {
        if (shape.length < 1) {
            throw new IllegalArgumentException("shape is empty; expected [rows, dims...]");
        }
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values but the array has " + length);
        }
        return shape.length == 1 ? new int[] {1} : Arrays.copyOfRange(shape, 1, shape.length);
    }
}
