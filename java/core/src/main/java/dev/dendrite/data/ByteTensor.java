package dev.dendrite.data;

import java.util.Arrays;

/**
 * Unsigned 8-bit samples (image pixels 0..255) with an optional per-feature affine transform
 * {@code value = pixel * scale[f] + shift[f]}. The bytes are what a GPU backend keeps resident; the transform
 * is applied while each batch is gathered, so preprocessing costs no extra memory or pass.
 */
public final class ByteTensor implements Inputs {
    private final byte[] data;
    private final int offset;
    private final int rows;
    private final int[] sampleShape;
    private final int sampleSize;
    private final float[] scale;
    private final float[] shift;

    private ByteTensor(byte[] data, int offset, int rows, int[] sampleShape, float[] scale, float[] shift) {
        this.data = data;
        this.offset = offset;
        this.rows = rows;
        this.sampleShape = sampleShape.clone();
        int s = 1;
        for (int d : sampleShape) {
            s = Math.multiplyExact(s, d);
        }
        this.sampleSize = s;
        if ((scale == null) != (shift == null)) {
            throw new IllegalArgumentException("scale and shift must both be given or both be null");
        }
        if (scale != null && (scale.length != s || shift.length != s)) {
            throw new IllegalArgumentException("transform has " + scale.length + "/" + shift.length
                    + " values; expected one per feature (" + s + ")");
        }
        this.scale = scale;
        this.shift = shift;
    }

    /** Wraps (does not copy) raw bytes with {@code shape = [rows, dims...]} and no transform. */
    public static ByteTensor wrap(byte[] data, int... shape) {
        int[] sample = Shapes.sampleShape(shape, data.length);
        return new ByteTensor(data, 0, shape[0], sample, null, null);
    }

    /**
     * The same bytes with the transform {@code pixel * scale[f] + shift[f]} (replacing any previous one).
     * Arrays have one entry per feature; they are copied.
     */
    public ByteTensor withTransform(float[] scale, float[] shift) {
        return new ByteTensor(data, offset, rows, sampleShape, scale.clone(), shift.clone());
    }

    /** The same bytes with no transform: the raw pixel values 0..255. */
    public ByteTensor raw() {
        return new ByteTensor(data, offset, rows, sampleShape, null, null);
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

    /** The raw byte {@code 0..255} of feature {@code f} of sample {@code row}. */
    public int pixel(int row, int feature) {
        return data[offset + row * sampleSize + feature] & 0xff;
    }

    @Override
    public float get(int row, int feature) {
        float p = pixel(row, feature);
        return scale == null ? p : p * scale[feature] + shift[feature];
    }

    /** The per-feature scale, or null when there is no transform. */
    public float[] scale() {
        return scale == null ? null : scale.clone();
    }

    /** The per-feature shift, or null when there is no transform. */
    public float[] shift() {
        return shift == null ? null : shift.clone();
    }

    /** The backing array; valid bytes start at {@link #arrayOffset()}. */
    public byte[] array() {
        return data;
    }

    public int arrayOffset() {
        return offset;
    }

    @Override
    public ByteTensor rows(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") outside [0, " + rows + "]");
        }
        return new ByteTensor(data, offset + from * sampleSize, to - from, sampleShape, scale, shift);
    }

    @Override
    public ByteTensor select(int[] indices) {
        byte[] out = new byte[Math.multiplyExact(indices.length, sampleSize)];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= rows) {
                throw new IndexOutOfBoundsException("row " + indices[i] + " outside [0, " + rows + ")");
            }
            System.arraycopy(data, offset + indices[i] * sampleSize, out, i * sampleSize, sampleSize);
        }
        return new ByteTensor(out, 0, indices.length, sampleShape, scale, shift);
    }

    @Override
    public String toString() {
        int[] s = new int[sampleShape.length + 1];
        s[0] = rows;
        System.arraycopy(sampleShape, 0, s, 1, sampleShape.length);
        return "ByteTensor" + Arrays.toString(s) + (scale == null ? "" : " (transformed)");
    }
}
