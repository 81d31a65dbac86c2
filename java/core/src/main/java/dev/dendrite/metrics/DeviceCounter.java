package dev.dendrite.metrics;

import java.util.Arrays;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

/**
 * The device side of one metric: a small I32 buffer of counts that one of the backend's metric ops adds each batch
 * to, inside the training step (so a recorded step replays it and nothing is read back per batch), and the host
 * code that adds those counts into the metric's own float64 state when a result is asked for ({@link #collect}),
 * after which the device counts start again from zero.
 *
 * <p>Every count cell grows by at most {@code rows * cols} per batch; {@link MetricSet#counted} collects before a
 * cell could pass {@code 2^31 - 1}, so the int32 counts never wrap.
 */
final class DeviceCounter implements AutoCloseable {
    /** Issues the metric's op for one batch: {@code params} is the metric's constant F32 input (thresholds), or null. */
    @FunctionalInterface
    interface Issue {
        void run(Backend backend, Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, Slice counts,
                 Slice params);
    }

    /** Adds counts read from the device, over {@code rows} samples, into the metric's host state. */
    @FunctionalInterface
    interface Merge {
        void run(long[] counts, long rows);
    }

    private final Backend backend;
    private final Buffer counts;
    private final Buffer params;
    private final Issue issue;
    private final Merge merge;
    private final int[] read;

    /** Allocates {@code length} zeroed counts and, when {@code params} is given, uploads it. */
    DeviceCounter(Backend backend, int length, float[] params, Issue issue, Merge merge) {
        this.backend = backend;
        this.issue = issue;
        this.merge = merge;
        this.read = new int[length];
        this.counts = backend.allocate(DType.I32, length);
        try {
            this.params = params == null ? null : backend.allocate(DType.F32, params.length);
            if (params != null) {
                backend.upload(params, 0, this.params.all());
            }
        } catch (RuntimeException e) {
            counts.close();
            throw e;
        }
    }

    /** Issues the op that adds a batch; no host transfer, so it may be recorded into a step. */
    void accumulate(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols) {
        issue.run(backend, pred, targets, sparseLabels, rows, cols, counts.all(),
                params == null ? null : params.all());
    }

    /** Reads the counts of {@code rows} samples into the metric, then zeroes them on the device. */
    void collect(long rows) {
        backend.download(counts.all(), read, 0);
        long[] c = new long[read.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = read[i];
        }
        merge.run(c, rows);
        zero();
    }

    /** Forgets the counts on the device (an upload of zeros: nothing is read). */
    void zero() {
        Arrays.fill(read, 0);
        backend.upload(read, 0, counts.all());
    }

    @Override
    public void close() {
        counts.close();
        if (params != null) {
            params.close();
        }
    }
}
