package dev.dendrite.model;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.DataSourceException;
import dev.dendrite.data.Tensor;

/**
 * Reads the batches of one {@link DataSource} for one {@code fit}, {@code evaluate} or {@code predict}, in the
 * order they are asked for, ahead of their use on a background thread into a bounded queue (Keras's enqueuer with
 * one worker and {@code max_queue_size}), or on the caller's thread when the queue size is 0.
 *
 * <p>The reading thread also brings every batch to the form the device copy takes: inputs of the first batch's
 * kind (uint8 with the same transform, else float32), no more samples than the first batch, the same kind of
 * labels, sample weights in every batch or in none. A source's failure, or a batch that breaks these rules,
 * reaches the caller of {@link #next} as a {@link DataSourceException} naming the batch. The source is touched by
 * one thread at a time: the reading thread between a {@link #request} and the delivery of its last batch, the
 * caller otherwise ({@link #endEpoch}).
 * {@link #close} stops the thread and waits for it; closing the source is the caller's, after that.
 */
final class SourceReader implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final DataSource source;
    private final String role;
    private final int length;
    private final Thread thread;
    private final BlockingQueue<Object> ready;
    private final BlockingQueue<long[]> requests = new LinkedBlockingQueue<>();
    /** Without a thread: the indices asked for and not yet read. */
    private final Queue<Long> pending = new ArrayDeque<>();
    private long cursor;
    private volatile boolean closing;
    private boolean closed;

    /** The first batch read, whose form the others must keep; touched only by the thread reading the source. */
    private DataSource.Batch first;
    /** The source's index of the batch {@link #next} returned last. */
    private int lastIndex = -1;

    /** The failure of one batch, passed through the queue in its place. */
    private record Failure(RuntimeException error) {
    }

    /** A batch read ahead, with its index in the source. */
    private record Read(DataSource.Batch batch, int index) {
    }

    /**
     * A reader of {@code source} (the {@code role} data: "training", "validation", ...) that reads up to
     * {@code prefetch} batches ahead, or none.
     */
    SourceReader(DataSource source, String role, int prefetch) {
        if (source == null) {
            throw new IllegalArgumentException("the " + role + " data source is null");
        }
        this.source = source;
        this.role = role;
        int n;
        try {
            n = source.batchesPerEpoch();
        } catch (RuntimeException e) {
            throw new DataSourceException(role, -1, "batchesPerEpoch() threw " + e, e);
        }
        if (n == 0 || n < -1) {
            throw new DataSourceException(role, -1, "batchesPerEpoch() is " + n
                    + "; expected a positive count, or -1 for an endless source", null);
        }
        this.length = n;
        if (prefetch > 0) {
            ready = new ArrayBlockingQueue<>(prefetch);
            thread = new Thread(this::readLoop, "dendrite-prefetch-" + role + "-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            thread.start();
        } else {
            ready = null;
            thread = null;
        }
    }

    /** Batches per epoch of the source, or -1 when endless. */
    int length() {
        return length;
    }

    /** Asks for the next {@code count} batches: read ahead at once when prefetching. */
    void request(int count) {
        long from = cursor;
        cursor += count;
        if (thread != null) {
            requests.add(new long[] {from, count});
        } else {
            for (long i = from; i < from + count; i++) {
                pending.add(i);
            }
        }
    }

    /**
     * The next batch asked for, waiting for it if it is not read yet.
     *
     * @throws DataSourceException if the source failed to give it
     */
    DataSource.Batch next() {
        if (thread == null) {
            Long i = pending.poll();
            if (i == null) {
                throw new IllegalStateException("no batch was requested");
            }
            Read r = read(i);
            lastIndex = r.index();
            return r.batch();
        }
        Object o;
        try {
            o = ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the " + role + " data source", e);
        }
        if (o instanceof Failure) {
            throw ((Failure) o).error();
        }
        Read r = (Read) o;
        lastIndex = r.index();
        return r.batch();
    }

    /** The source's index of the batch {@link #next} returned last. */
    int lastIndex() {
        return lastIndex;
    }

    /** The source's end-of-epoch hook; call once every batch asked for has been taken. */
    void endEpoch() {
        source.onEpochEnd();
    }

    private void readLoop() {
        try {
            while (!closing) {
                long[] r = requests.take();
                for (long i = r[0]; i < r[0] + r[1] && !closing; i++) {
                    Object item;
                    try {
                        item = read(i);
                    } catch (RuntimeException e) {
                        item = new Failure(e);
                    }
                    ready.put(item);
                    if (item instanceof Failure) {
                        break; // the caller stops at the failure; reading on would only waste the source's work
                    }
                }
            }
        } catch (InterruptedException e) {
            // close() stops the thread
        }
    }

    /** Reads the batch at position {@code n} of the reading order and brings it to the first batch's form. */
    private Read read(long n) {
        int index = length > 0 ? (int) (n % length) : Math.toIntExact(n);
        return new Read(conform(index), index);
    }

    private DataSource.Batch conform(int index) {
        DataSource.Batch b;
        try {
            b = source.batch(index);
        } catch (RuntimeException | Error e) {
            throw new DataSourceException(role, index, "batch(" + index + ") threw " + e, e);
        }
        if (b == null) {
            throw new DataSourceException(role, index, "batch(" + index + ") returned null; expected a Batch", null);
        }
        if (b.size() == 0) {
            throw new DataSourceException(role, index, "the batch has no samples; expected at least one", null);
        }
        if (first == null) {
            first = b;
            return b;
        }
        if (!Arrays.equals(b.x().sampleShape(), first.x().sampleShape())) {
            throw new DataSourceException(role, index, "samples of shape " + Arrays.toString(b.x().sampleShape())
                    + "; the first batch had " + Arrays.toString(first.x().sampleShape()), null);
        }
        if (b.size() > first.size()) {
            throw new DataSourceException(role, index, b.size() + " samples, more than the first batch's "
                    + first.size() + "; expected batches of one size (the last may be smaller)", null);
        }
        if ((b.labels() == null) != (first.labels() == null) || (b.targets() == null) != (first.targets() == null)
                || (b.targets() != null && b.targets().sampleSize() != first.targets().sampleSize())) {
            throw new DataSourceException(role, index, "its labels or targets differ in kind or width from the first"
                    + " batch's; expected every batch to carry the same", null);
        }
        if ((b.sampleWeight() == null) != (first.sampleWeight() == null)) {
            throw new DataSourceException(role, index, (b.sampleWeight() == null ? "no sample weights, unlike"
                    : "sample weights, unlike") + " the first batch; expected every batch to carry them or none", null);
        }
        if (first.x() instanceof ByteTensor) {
            ByteTensor f = (ByteTensor) first.x();
            if (!(b.x() instanceof ByteTensor) || !Arrays.equals(((ByteTensor) b.x()).scale(), f.scale())
                    || !Arrays.equals(((ByteTensor) b.x()).shift(), f.shift())) {
                throw new DataSourceException(role, index, "inputs " + b.x().getClass().getSimpleName()
                        + " unlike the first batch's uint8 pixels with their transform; expected every batch to"
                        + " be a ByteTensor with the same transform", null);
            }
            return b;
        }
        return b.x() instanceof Tensor ? b : new DataSource.Batch(b.x().toTensor(), b.labels(), b.targets(),
                b.sampleWeight());
    }

    /** Stops the reading thread and waits for it to end, so that the source may be closed. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        if (thread != null) {
            boolean interrupted = false;
            // A source that swallows the interrupt leaves the thread blocked on a full queue: drain it.
            while (thread.isAlive()) {
                thread.interrupt();
                ready.clear();
                try {
                    thread.join(50);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
