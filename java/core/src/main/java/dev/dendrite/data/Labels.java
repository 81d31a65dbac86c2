package dev.dendrite.data;

import java.util.Arrays;

/**
 * Class labels and input checks used by the training engine: one-hot encoding, the inverse arg-max, and the
 * validations that turn a silently wrong training run into an error naming the offending sample.
 */
public final class Labels {
    private Labels() {
    }

    /**
     * One-hot encodes class indices: row {@code i} of the result is 1 at column {@code labels[i]}, 0 elsewhere.
     *
     * @return a tensor of shape {@code [labels.length, numClasses]}
     * @throws IllegalArgumentException if {@code numClasses < 1} or a label is outside {@code [0, numClasses)}
     */
    public static Tensor oneHot(int[] labels, int numClasses) {
        requireInRange(labels, numClasses);
        float[] out = new float[Math.multiplyExact(labels.length, numClasses)];
        for (int i = 0; i < labels.length; i++) {
            out[i * numClasses + labels[i]] = 1f;
        }
        return Tensor.wrap(out, labels.length, numClasses);
    }

    /**
     * The column of the largest value in each row (the first one on ties): the class a probability or one-hot
     * tensor stands for.
     */
    public static int[] argMax(Tensor probabilities) {
        return probabilities.argMax();
    }

    /**
     * Checks that every label is a class index in {@code [0, numClasses)}.
     *
     * @throws IllegalArgumentException naming the first offending index and value
     */
    public static void requireInRange(int[] labels, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses " + numClasses + "; expected >= 1");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label at index " + i + " is " + labels[i]
                        + "; expected a class index in [0, " + numClasses + ")");
            }
        }
    }

    /**
     * Checks the rule every sample weight keeps (Keras's {@code sample_weight}): finite and {@code >= 0}.
     *
     * @throws IllegalArgumentException naming the first offending weight as {@code what[index]} and its value
     */
    public static void requireSampleWeights(float[] weights, String what) {
        for (int i = 0; i < weights.length; i++) {
            if (!(weights[i] >= 0) || Float.isInfinite(weights[i])) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + weights[i]
                        + "; expected a finite weight >= 0");
            }
        }
    }

    /** The largest label plus one: the number of classes the labels imply (0 for no labels). */
    public static int numClasses(int[] labels) {
        int max = -1;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("label at index " + i + " is " + labels[i]
                        + "; expected a class index >= 0");
            }
            max = Math.max(max, labels[i]);
        }
        return max + 1;
    }

    /** How many times each class occurs, indexed by class. */
    public static int[] counts(int[] labels, int numClasses) {
        requireInRange(labels, numClasses);
        int[] counts = new int[numClasses];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * Checks that there is one label per sample.
     *
     * @param what names the data in the message, e.g. {@code "validation data"}
     * @throws IllegalArgumentException saying both counts
     */
    public static void requireSameRows(Inputs x, int[] labels, String what) {
        if (x.rows() != labels.length) {
            throw new IllegalArgumentException(what + " has " + x.rows() + " samples but " + labels.length
                    + " labels; expected one label per sample");
        }
    }

    /**
     * Checks that every value a model would see is finite: NaN or infinity in the inputs makes every weight NaN
     * after one step, so it is reported up front instead.
     *
     * @param what names the data in the message, e.g. {@code "x (training inputs)"}
     * @throws IllegalArgumentException naming the first offending row, feature and value
     */
    public static void requireFinite(Inputs x, String what) {
        int rows = x.rows();
        int features = x.sampleSize();
        if (x instanceof ByteTensor b && b.scale() == null) {
            return; // raw pixels are 0..255, always finite
        }
        if (x instanceof Tensor t) {
            // Scan the backing array directly: this runs on every fit over possibly 47 M values.
            float[] a = t.array();
            int base = t.arrayOffset();
            int n = rows * features;
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(a[base + i])) {
                    throw notFinite(what, i / features, i % features, a[base + i], x);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < features; f++) {
                float v = x.get(r, f);
                if (!Float.isFinite(v)) {
                    throw notFinite(what, r, f, v, x);
                }
            }
        }
    }

    private static IllegalArgumentException notFinite(String what, int row, int feature, float value, Inputs x) {
        return new IllegalArgumentException(what + " has " + value + " at row " + row + ", feature " + feature
                + " (sample shape " + Arrays.toString(x.sampleShape()) + "); expected only finite values");
    }
}
