package dev.dendrite.data;

/**
 * Samples a model reads: {@code rows()} samples, each of {@link #sampleShape()} (for example 28 x 28).
 * Implemented by {@link Tensor} (float32) and {@link ByteTensor} (uint8 pixels with an optional per-feature
 * affine transform, applied on the device while batches are gathered).
 */
public interface Inputs {
    /** Number of samples. */
    int rows();

    /** Shape of one sample, e.g. {@code [28, 28]}. */
    int[] sampleShape();

    /** Number of values in one sample (the product of {@link #sampleShape()}). */
    default int sampleSize() {
        int n = 1;
        for (int d : sampleShape()) {
            n *= d;
        }
        return n;
    }

    /** The value a model sees for feature {@code f} of sample {@code row} (after any transform). */
    float get(int row, int feature);

    /** Samples {@code [from, to)} as a view or copy of the same kind. */
    Inputs rows(int from, int to);

    /** The samples at {@code indices}, in that order, as a copy of the same kind. */
    Inputs select(int[] indices);

    /** The values a model sees, materialised as float32. */
    default Tensor toTensor() {
        int n = rows();
        int f = sampleSize();
        float[] out = new float[Math.multiplyExact(n, f)];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < f; j++) {
                out[r * f + j] = get(r, j);
            }
        }
        int[] shape = new int[sampleShape().length + 1];
        shape[0] = n;
        System.arraycopy(sampleShape(), 0, shape, 1, sampleShape().length);
        return Tensor.wrap(out, shape);
    }
}
