package dev.dendrite.data;

import java.util.Arrays;

/**
 * A dense float32 array on the host, row-major, with shape {@code [rows, sample dims...]}. Used for inputs,
 * dense (one-hot) targets and predictions.
 */
public final class Tensor implements Inputs {
    private final float[] data;
    private final int offset;
    private final int rows;
    private final int[] sampleShape;
    private final int sampleSize;

    private Tensor(float[] data, int offset, int rows, int[] sampleShape) {
        this.data = data;
        this.offset = offset;
        this.rows = rows;
        this.sampleShape = sampleShape.clone();
        int s = 1;
        for (int d : sampleShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("dimension " + d + " in shape " + Arrays.toString(sampleShape)
                        + "; expected every dimension > 0");
            }
            s = Math.multiplyExact(s, d);
        }
        this.sampleSize = s;
    }

    /**
     * Wraps (does not copy) {@code data} with {@code shape = [rows, dims...]}.
     *
     * @throws IllegalArgumentException if the shape's product is not {@code data.length}
     */
    public static Tensor wrap(float[] data, int... shape) {
        int[] sample = Shapes.sampleShape(shape, data.length);
        return new Tensor(data, 0, shape[0], sample);
    }

    /** Copies a rectangular {@code float[rows][features]} array. */
    public static Tensor of(float[][] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("no rows; expected at least one");
        }
        int f = rows[0].length;
        float[] out = new float[Math.multiplyExact(rows.length, f)];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != f) {
                throw new IllegalArgumentException("row " + r + " has " + rows[r].length
                        + " values; expected " + f + " like row 0");
            }
            System.arraycopy(rows[r], 0, out, r * f, f);
        }
        return wrap(out, rows.length, f);
    }

    /** A zero-filled tensor of the given shape. */
    public static Tensor zeros(int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return wrap(new float[Math.toIntExact(n)], shape);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    @Override
    public int sampleSize() {
        return sampleSize;
    }

    /** Shape including the leading rows dimension. */
    public int[] shape() {
        int[] s = new int[sampleShape.length + 1];
        s[0] = rows;
        System.arraycopy(sampleShape, 0, s, 1, sampleShape.length);
        return s;
    }

    @Override
    public float get(int row, int feature) {
        return data[offset + row * sampleSize + feature];
    }

    public void set(int row, int feature, float value) {
        data[offset + row * sampleSize + feature] = value;
    }

    /** Sample {@code row} as a new array. */
    public float[] row(int row) {
        checkRow(row);
        return Arrays.copyOfRange(data, offset + row * sampleSize, offset + (row + 1) * sampleSize);
    }

    /** The backing array; valid elements start at {@link #arrayOffset()}. */
    public float[] array() {
        return data;
    }

    public int arrayOffset() {
        return offset;
    }

    /** A copy of exactly this tensor's values. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + rows * sampleSize);
    }

    @Override
    public Tensor rows(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") outside [0, " + rows + "]");
        }
        return new Tensor(data, offset + from * sampleSize, to - from, sampleShape);
    }

    @Override
    public Tensor select(int[] indices) {
        float[] out = new float[Math.multiplyExact(indices.length, sampleSize)];
        for (int i = 0; i < indices.length; i++) {
            checkRow(indices[i]);
            System.arraycopy(data, offset + indices[i] * sampleSize, out, i * sampleSize, sampleSize);
        }
        return new Tensor(out, 0, indices.length, sampleShape);
    }

    @Override
    public Tensor toTensor() {
        return this;
    }

    /** The same values with a different sample shape of equal size. */
    public Tensor reshape(int... sampleShape) {
        return new Tensor(data, offset, rows, sampleShape).checkSize(sampleSize);
    }

    private Tensor checkSize(int expected) {
        if (sampleSize != expected) {
            throw new IllegalArgumentException("cannot reshape samples of " + expected + " values to "
                    + Arrays.toString(sampleShape) + " (" + sampleSize + " values)");
        }
        return this;
    }

    /** Index of the largest value in each row: the predicted class of a probability tensor. */
    public int[] argMax() {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int base = offset + r * sampleSize;
            int best = 0;
            for (int j = 1; j < sampleSize; j++) {
                if (data[base + j] > data[base + best]) {
                    best = j;
                }
            }
            out[r] = best;
        }
        return out;
    }

    private void checkRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " outside [0, " + rows + ")");
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape());
    }
}
