package dev.dendrite.backend;

/**
 * The data-movement family of a backend: {@link Backend#gather}, {@link Backend#randomPermutation} and
 * {@link Backend#advanceCounters}, called by {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface DataOps {
    /**
     * Between the two halves of {@link Backend#gather}'s checks: the values in device memory that select the rows
     * (the batch counter, the indices), for a backend that can read them at once. The default checks nothing
     * here: a GPU backend checks them on the device and reports a bad one from the next download or synchronize.
     */
    default void checkGatherPositions(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows) {
    }

    void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows, Slice scale,
                Slice shift, Slice out);

    /** The largest {@code n} {@link #randomPermutation} can sort. */
    default int maxPermutation() {
        return Integer.MAX_VALUE;
    }

    void randomPermutation(Slice out, int n, long seed, int epoch);

    void advanceCounters(Slice counters);
}
