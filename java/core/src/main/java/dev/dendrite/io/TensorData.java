package dev.dendrite.io;

import java.util.Arrays;

/**
 * An immutable float32 tensor as stored in a model file: a row-major {@code values} array and its {@code shape}
 * (for a Dense kernel {@code [in, out]}; a scalar has shape {@code []} and one value).
 *
 * <p>Both arrays are copied on the way in and on the way out, so neither the caller nor a reader of the record
 * can change it after construction (a saved model must not change because training went on). {@link #equals}
 * compares contents as {@link Arrays#equals(float[], float[])} does: by bits, except that all NaNs are equal
 * ({@code -0.0f} and {@code 0.0f} differ, NaN equals NaN).
 *
 * @param shape  dimensions, each {@code >= 0}
 * @param values {@code product(shape)} values in row-major order
 */
public record TensorData(int[] shape, float[] values) {
    /**
     * @throws IllegalArgumentException if a dimension is negative or {@code product(shape) != values.length}
     * @throws NullPointerException     if either array is null
     */
    public TensorData {
        shape = shape.clone();
        values = values.clone();
        long n = elementCount(shape);
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values but " + values.length + " were given");
        }
    }

    /** A copy of the dimensions. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** A copy of the values, row-major. */
    @Override
    public float[] values() {
        return values.clone();
    }

    /** Number of values, {@code product(shape)}. */
    public int size() {
        return values.length;
    }

    /** Number of dimensions ({@code 0} for a scalar). */
    public int rank() {
        return shape.length;
    }

    /** Dimension {@code axis} without copying the shape. */
    public int dim(int axis) {
        return shape[axis];
    }

    /** Value at row-major index {@code i}, without copying the array. */
    public float get(int i) {
        return values[i];
    }

    /** The values without a copy, for this package's writers only: callers must not modify the array. */
    float[] valuesNoCopy() {
        return values;
    }

    /**
     * The number of elements a tensor of {@code shape} holds.
     *
     * @throws IllegalArgumentException if a dimension is negative or the product does not fit in an int (a
     *                                  Java array cannot hold more)
     */
    static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("dimension " + d + " in shape " + Arrays.toString(shape)
                        + "; expected every dimension >= 0");
            }
            n *= d; // cannot overflow: n <= Integer.MAX_VALUE before, d <= Integer.MAX_VALUE
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds more than "
                        + Integer.MAX_VALUE + " values; expected at most that many (a Java array's limit)");
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && Arrays.equals(shape, t.shape) && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "TensorData" + Arrays.toString(shape) + (values.length <= 8 ? Arrays.toString(values)
                : " (" + values.length + " values)");
    }
}
