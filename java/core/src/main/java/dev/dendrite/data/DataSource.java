package dev.dendrite.data;

import java.util.Iterator;

/**
 * Batches that {@code fit}, {@code evaluate} and {@code predict} read one at a time, as Keras's
 * {@code PyDataset}: a length in batches, the batch at an index, and a hook at the end of each epoch (where a
 * source may reshuffle or draw new augmentations). Arrays need no source: {@code fit(x, y, options)} keeps
 * the data on the device and is the fast path; a source is for data that does not fit there or is made on
 * the fly (a generator, {@code ImageDataGenerator.flow}).
 *
 * <p>A source is read from one thread at a time, but not necessarily the caller's: {@code fit} may prefetch
 * the next batches on a background thread, so a batch must not share arrays that a later call overwrites.
 * {@link #close()} releases files or threads the source holds; {@code fit}, {@code evaluate} and {@code predict}
 * close the sources they are given when they return or fail.
 */
public interface DataSource extends AutoCloseable {
    /** Batches in one epoch, or {@code -1} when unknown (an endless generator: then give {@code stepsPerEpoch}). */
    int batchesPerEpoch();

    /**
     * Batch {@code index} of the current epoch, {@code 0 <= index < batchesPerEpoch()} (or any index for an
     * endless source). Every batch has the same sample shape; the last may be smaller.
     */
    Batch batch(int index);

    /** Called once after each epoch (Keras's {@code on_epoch_end}). */
    default void onEpochEnd() {
    }

    @Override
    default void close() {
    }

    /**
     * Batches of {@code batchSize} samples of {@code x} with class-index labels, in stored order or reshuffled
     * before every epoch from {@code seed} (the last batch may be smaller).
     */
    static DataSource of(Inputs x, int[] labels, int batchSize, boolean shuffle, long seed) {
        return new ArraySource(x, labels, null, null, batchSize, shuffle, seed);
    }

    /** As {@link #of(Inputs, int[], int, boolean, long)} with dense targets (or {@code null}, for predict). */
    static DataSource of(Inputs x, Tensor targets, int batchSize, boolean shuffle, long seed) {
        return new ArraySource(x, null, targets, null, batchSize, shuffle, seed);
    }

    /**
     * As {@link #of(Inputs, int[], int, boolean, long)}, each batch carrying its samples' weights from
     * {@code sampleWeight} (one per sample of {@code x}, finite and {@code >= 0}; Keras's {@code sample_weight}).
     */
    static DataSource of(Inputs x, int[] labels, float[] sampleWeight, int batchSize, boolean shuffle, long seed) {
        return new ArraySource(x, labels, null, sampleWeight, batchSize, shuffle, seed);
    }

    /** As {@link #of(Inputs, int[], float[], int, boolean, long)} with dense targets. */
    static DataSource of(Inputs x, Tensor targets, float[] sampleWeight, int batchSize, boolean shuffle, long seed) {
        return new ArraySource(x, null, targets, sampleWeight, batchSize, shuffle, seed);
    }

    /**
     * A generator: every batch is the iterator's next, so the source is endless ({@code fit} needs
     * {@code stepsPerEpoch}). The iterator is closed with the source if it is {@link AutoCloseable}.
     */
    static DataSource fromIterator(Iterator<Batch> batches) {
        return new IteratorSource(batches);
    }

    /**
     * One batch: inputs and either class-index labels or dense targets (the other is {@code null}); for
     * {@code predict} both may be {@code null}. {@code sampleWeight}, Keras's third element of a generator's
     * {@code (x, y, sample_weight)}: one weight per sample that scales its loss and gradient, or {@code null}
     * (every sample weighs 1); every batch of a source carries weights or none does.
     */
    record Batch(Inputs x, int[] labels, Tensor targets, float[] sampleWeight) {
        public Batch {
            if (x == null) {
                throw new IllegalArgumentException("batch inputs are null; expected samples");
            }
            if (labels != null && targets != null) {
                throw new IllegalArgumentException("batch has both labels and targets; expected one of them");
            }
            int n = x.rows();
            if (labels != null && labels.length != n) {
                throw new IllegalArgumentException("batch has " + n + " samples but " + labels.length
                        + " labels; expected one label per sample");
            }
            if (targets != null && targets.rows() != n) {
                throw new IllegalArgumentException("batch has " + n + " samples but " + targets.rows()
                        + " target rows; expected one row per sample");
            }
            if (sampleWeight != null && labels == null && targets == null) {
                throw new IllegalArgumentException("batch has sample weights but no labels or targets; expected"
                        + " weights only beside what they weigh");
            }
            if (sampleWeight != null && sampleWeight.length != n) {
                throw new IllegalArgumentException("batch has " + n + " samples but " + sampleWeight.length
                        + " sample weights; expected one weight per sample");
            }
            if (sampleWeight != null) {
                Labels.requireSampleWeights(sampleWeight, "sampleWeight");
            }
        }

        /** A batch without sample weights. */
        public Batch(Inputs x, int[] labels, Tensor targets) {
            this(x, labels, targets, null);
        }

        /** Number of samples in this batch. */
        public int size() {
            return x.rows();
        }
    }
}
