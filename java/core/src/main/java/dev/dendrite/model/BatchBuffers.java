package dev.dendrite.model;

import dev.dendrite.backend.Buffer;

/**
 * The buffers a training batch is gathered into: two of each, so that a step can gather the batch after it on a
 * branch ({@link dev.dendrite.backend.Backend#branch}) while it runs, and the next step starts from its inputs
 * instead of a gather. On a GPU that takes the gather, the first node of every step, off the step's critical path:
 * it runs beside the forward pass. Backends that issue branches in place gather the same rows, one step early.
 *
 * <p>A step prefetches only what it knows comes next: within an execution of several steps, and from one execution
 * to the next when the caller says that the next is a full batch of the same epoch. A prefetched batch is used only
 * by the step it was gathered for ({@link Engine#stepsDone}); anything in between (an epoch's start, an evaluation,
 * a step the engine did not plan) drops it, and that step gathers for itself.
 * {@code -Ddendrite.prefetchBatches=false} keeps one buffer of each, every batch gathered at its own step's start.
 */
final class BatchBuffers {
    /**
     * How an execution of steps uses the buffers (its recordings are keyed by it, since they freeze the buffers):
     * step i reads buffer {@link #buffer}(i), gathers into it first unless {@link #gathered}(i), and, where
     * {@link #prefetches}(i), gathers the next step's batch into the other buffer beside it.
     *
     * @param start          the buffer of the execution's first step
     * @param firstGathered  whether the first step's batch is already there, gathered beside the step before
     * @param alternate      whether the steps alternate buffers, each gathering the next one's batch
     * @param gathersNext    whether the last step gathers the batch of the next execution's first step
     */
    record Plan(int start, boolean firstGathered, boolean alternate, boolean gathersNext) {
        int buffer(int step) {
            return alternate ? (start + step) & 1 : start;
        }

        boolean gathered(int step) {
            return step == 0 ? firstGathered : alternate;
        }

        boolean prefetches(int step, int count) {
            return alternate && (step < count - 1 || gathersNext);
        }

        /** A small number that tells plans apart, for the recordings' keys. */
        int key() {
            return start | (firstGathered ? 2 : 0) | (alternate ? 4 : 0) | (gathersNext ? 8 : 0);
        }
    }

    private final boolean enabled;
    private final Buffer[] x = new Buffer[2];
    private final Buffer[] y = new Buffer[2];
    /** The buffer the next step's batch is in, or is gathered into. */
    private int current;
    /** The step (a value of Engine.stepsDone) whose batch buffer {@code current} already holds; -1: none. */
    private long readyFor = -1;

    BatchBuffers(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether the engine allocates a second buffer of each ({@link #set}). */
    boolean twoOfEach() {
        return enabled;
    }

    /** The workspace's buffers: the second pair null where {@link #twoOfEach} is false. */
    void set(Buffer x0, Buffer y0, Buffer x1, Buffer y1) {
        x[0] = x0;
        y[0] = y0;
        x[1] = x1;
        y[1] = y1;
        current = 0;
        readyFor = -1;
    }

    Buffer x(int which) {
        return x[which];
    }

    Buffer y(int which) {
        return y[which];
    }

    /**
     * The plan of an execution of steps starting at step {@code stepsDone}: {@code allowed} where its steps may
     * prefetch at all (full batches of a shuffled order, nothing that rewrites the batch in place), {@code nextIsFull}
     * where a full batch of the same order follows it.
     */
    Plan plan(boolean allowed, long stepsDone, boolean nextIsFull) {
        boolean alternate = allowed && x[1] != null; // a second pair only where enabled (set)
        return new Plan(current, alternate && readyFor == stepsDone, alternate, alternate && nextIsFull);
    }

    /** After an execution of {@code count} steps planned by {@code plan}, which leaves {@code stepsDone} done. */
    void executed(Plan plan, int count, long stepsDone) {
        int last = plan.buffer(count - 1);
        current = plan.gathersNext() ? last ^ 1 : last;
        readyFor = plan.gathersNext() ? stepsDone : -1;
    }

    /**
     * Drops a prefetched batch: the next step gathers its own, into buffer 0 (so that an epoch's steps start alike
     * and their recordings repeat).
     */
    void reset() {
        current = 0;
        readyFor = -1;
    }
}
