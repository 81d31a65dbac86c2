package dev.dendrite.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * The training and test sets of one dataset, with a sentence saying where they were loaded from, e.g.
 * {@code "Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist): 60000
 * train, 10000 test"}. Programs should show {@link #source()} to the user so that a run on the small bundled
 * sample is never mistaken for one on the full dataset.
 */
public record TrainTest(Dataset train, Dataset test, String source) {
    /** @throws IllegalArgumentException if the two sets have different sample shapes or class names */
    public TrainTest {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(source, "source");
        if (!Arrays.equals(train.images().sampleShape(), test.images().sampleShape())) {
            throw new IllegalArgumentException("training images are "
                    + Arrays.toString(train.images().sampleShape()) + " but test images are "
                    + Arrays.toString(test.images().sampleShape()) + "; expected the same shape");
        }
        if (!Arrays.equals(train.classNames(), test.classNames())) {
            throw new IllegalArgumentException("training and test sets have different class names");
        }
    }

    /** The class names shared by both sets. */
    public String[] classNames() {
        return train.classNames();
    }
}
