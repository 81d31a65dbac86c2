package dev.dendrite.data;

import java.util.Arrays;
import java.util.Random;

/**
 * Batches of arrays held in memory, in stored order or reshuffled every epoch (Keras's
 * {@code PyDataset} over NumPy arrays). Made by {@link DataSource#of}. Without shuffling a batch is a view of
 * the arrays; with it, a copy of the rows the epoch's order names.
 */
final class ArraySource implements DataSource {
    private final Inputs x;
    private final int[] labels;
    private final Tensor targets;
    private final float[] sampleWeight;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private int epoch;
    private int[] order;

    ArraySource(Inputs x, int[] labels, Tensor targets, float[] sampleWeight, int batchSize, boolean shuffle,
                long seed) {
        if (x == null || x.rows() == 0) {
            throw new IllegalArgumentException("a data source needs at least one sample; got " + x);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize " + batchSize + "; expected >= 1");
        }
        // The Batch record checks that the labels, targets and weights match x; check them once here.
        new Batch(x, labels, targets, sampleWeight);
        this.x = x;
        this.labels = labels;
        this.targets = targets;
        this.sampleWeight = sampleWeight == null ? null : sampleWeight.clone();
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.order = shuffle ? permutation(x.rows(), seed, 0) : null;
    }

    @Override
    public int batchesPerEpoch() {
        return (x.rows() + batchSize - 1) / batchSize;
    }

    @Override
    public Batch batch(int index) {
        int n = batchesPerEpoch();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("batch " + index + "; expected 0 <= index < " + n);
        }
        int from = index * batchSize;
        int to = Math.min(from + batchSize, x.rows());
        if (order == null) {
            return new Batch(x.rows(from, to), labels == null ? null : Arrays.copyOfRange(labels, from, to),
                    targets == null ? null : targets.rows(from, to),
                    sampleWeight == null ? null : Arrays.copyOfRange(sampleWeight, from, to));
        }
        int[] rows = Arrays.copyOfRange(order, from, to);
        return new Batch(x.select(rows), Splits.pick(labels, rows), targets == null ? null : targets.select(rows),
                Splits.pick(sampleWeight, rows));
    }

    @Override
    public void onEpochEnd() {
        epoch++;
        if (shuffle) {
            order = permutation(x.rows(), seed, epoch);
        }
    }

    /** {@code 0..n-1} shuffled as {@link Splits} shuffles, a function of the seed and the epoch only. */
    static int[] permutation(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Splits.shuffle(p, new Random(seed * 0x9E3779B97F4A7C15L + epoch));
        return p;
    }

    @Override
    public String toString() {
        return "DataSource.of(" + x.rows() + " samples, batchSize " + batchSize + (shuffle ? ", shuffled" : "") + ")";
    }
}
