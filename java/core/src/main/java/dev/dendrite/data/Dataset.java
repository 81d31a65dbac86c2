package dev.dendrite.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * A labelled image set: {@code images} (uint8 pixels, possibly with a preprocessing transform), one class index
 * per image in {@code labels}, the {@code classNames} those indices refer to, and a human-readable
 * {@code source} saying where the data came from (for example
 * {@code "Fashion-MNIST training set from /usr/share/datasets/fashion-mnist"}).
 *
 * <p>Immutable: the arrays are copied on the way in and out, so a caller cannot change a dataset another part of
 * the program holds. Use {@link #label(int)} for per-sample access without copying.
 */
public final class Dataset {
    private final ByteTensor images;
    private final int[] labels;
    private final String[] classNames;
    private final String source;

    /**
     * @throws IllegalArgumentException if the number of labels differs from the number of images, there are no
     *         class names, or a label is outside {@code [0, classNames.length)}
     */
    public Dataset(ByteTensor images, int[] labels, String[] classNames, String source) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(classNames, "classNames");
        Objects.requireNonNull(source, "source");
        if (images.rows() != labels.length) {
            throw new IllegalArgumentException(source + ": " + images.rows() + " images but " + labels.length
                    + " labels; expected one label per image");
        }
        if (classNames.length == 0) {
            throw new IllegalArgumentException(source + ": no class names; expected at least one");
        }
        for (int i = 0; i < classNames.length; i++) {
            Objects.requireNonNull(classNames[i], "classNames[" + i + "]");
        }
        Labels.requireInRange(labels, classNames.length);
        this.images = images;
        this.labels = labels.clone();
        this.classNames = classNames.clone();
        this.source = source;
        KnownClassNames.remember(images, classNames);
    }

    /** The images, shape {@code [size(), height, width]}. */
    public ByteTensor images() {
        return images;
    }

    /** A copy of the class index of every image. */
    public int[] labels() {
        return labels.clone();
    }

    /** The class index of image {@code i}. */
    public int label(int i) {
        if (i < 0 || i >= labels.length) {
            throw new IndexOutOfBoundsException("sample " + i + " outside [0, " + labels.length + ")");
        }
        return labels[i];
    }

    /** A copy of the class names; label {@code k} means {@code classNames()[k]}. */
    public String[] classNames() {
        return classNames.clone();
    }

    /** The name of class {@code k}. */
    public String className(int k) {
        if (k < 0 || k >= classNames.length) {
            throw new IndexOutOfBoundsException("class " + k + " outside [0, " + classNames.length + ")");
        }
        return classNames[k];
    }

    /** The number of classes (the length of {@link #classNames()}). */
    public int numClasses() {
        return classNames.length;
    }

    /** Where the data came from, as a sentence for people. */
    public String source() {
        return source;
    }

    /** The number of images. */
    public int size() {
        return labels.length;
    }

    /** How many images each class has, indexed by class. */
    public int[] classCounts() {
        return Labels.counts(labels, classNames.length);
    }

    /** Images {@code [from, to)} with their labels; the source says which rows were taken. */
    public Dataset rows(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") outside [0, " + size() + "] of "
                    + source);
        }
        return new Dataset(images.rows(from, to), Arrays.copyOfRange(labels, from, to), classNames,
                source + ", samples [" + from + ", " + to + ")");
    }

    /**
     * The images at {@code indices}, in that order, with their labels. {@code description} is appended to the
     * source (for example {@code "random 80%"}).
     */
    public Dataset select(int[] indices, String description) {
        int[] picked = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= labels.length) {
                throw new IndexOutOfBoundsException("index " + indices[i] + " at position " + i + " outside [0, "
                        + labels.length + ") of " + source);
            }
            picked[i] = labels[indices[i]];
        }
        return new Dataset(images.select(indices), picked, classNames, source + ", " + description);
    }

    /** The same labels with other images of the same count, e.g. after preprocessing. */
    public Dataset withImages(ByteTensor newImages) {
        return new Dataset(newImages, labels, classNames, source);
    }

    /** The same data with another source description. */
    public Dataset withSource(String newSource) {
        return new Dataset(images, labels, classNames, newSource);
    }

    /**
     * Keras's {@code X_valid, X_train = X_train_full[:n], X_train_full[n:]}: the first {@code n} samples become
     * the validation set. See {@link Splits#holdOutFirst(Dataset, int)}.
     */
    public Splits.Pair<Dataset> holdOutFirst(int n) {
        return Splits.holdOutFirst(this, n);
    }

    /** A seeded random split; see {@link Splits#random(Dataset, double, long)}. */
    public Splits.Pair<Dataset> randomSplit(double validationFraction, long seed) {
        return Splits.random(this, validationFraction, seed);
    }

    /** scikit-learn's {@code train_test_split}; see {@link Splits#trainTestSplit(Dataset, double, long, boolean)}. */
    public Splits.TestSplit<Dataset> trainTestSplit(double testSize, long seed, boolean stratify) {
        return Splits.trainTestSplit(this, testSize, seed, stratify);
    }

    @Override
    public String toString() {
        return "Dataset[" + size() + " x " + Arrays.toString(images.sampleShape()) + ", " + classNames.length
                + " classes, " + source + "]";
    }
}
