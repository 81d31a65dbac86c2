package dev.dendrite.backend;

/**
 * Where a GPU backend stands inside {@link Backend#updateThenAdvanceCounters}: the counters that the update's rule
 * kernel (Adam, SGD) is to advance at its end, handed to the first such kernel ({@link #take}), and a guard that no
 * kernel follows it within the update ({@link #launching}): a kernel after the one that advanced the counters
 * would run after the step's end. The CUDA and OpenCL backends each keep one; ops are issued by one thread at a
 * time, as for the rest of a backend.
 */
public final class CountersInUpdate {
    private static final int NONE = 0;
    private static final int PENDING = 1;
    private static final int TAKING = 2;
    private static final int TAKEN = 3;

    private final String backend;
    private Slice counters;
    private int state = NONE;
    private long taken;

    /** @param backend the backend's name, for messages */
    public CountersInUpdate(String backend) {
        this.backend = backend;
    }

    /**
     * The update begins: the next rule kernel that can, advances {@code counters}.
     *
     * @throws IllegalStateException inside another update's (a step has one last update)
     */
    public void begin(Slice counters) {
        if (state != NONE) {
            throw new IllegalStateException(backend + ": Backend.updateThenAdvanceCounters inside another one: a step "
                    + "has one last update");
        }
        this.counters = counters;
        state = PENDING;
    }

    /**
     * For a rule kernel about to be launched: the counters it must advance at its end, or null outside an update or
     * when another kernel took them. Call it right before that kernel's launch, and only when it is launched.
     */
    public Slice take() {
        if (state != PENDING) {
            return null;
        }
        state = TAKING;
        Slice c = counters;
        counters = null;
        return c;
    }

    /**
     * A kernel is being launched (the backend's common launch paths call this: CUDA's every kernel launch, OpenCL's
     * kernels bound through its argument helper): the one that took the counters passes, any after it within the
     * update is refused.
     *
     * @throws IllegalStateException naming {@code kernel} when it follows the kernel that advanced the counters
     */
    public void launching(String kernel) {
        if (state == TAKING) {
            state = TAKEN;
        } else if (state == TAKEN) {
            state = NONE;
            counters = null;
            throw new IllegalStateException(backend + ": " + kernel + " was issued after the optimizer kernel that "
                    + "advanced the step counters, inside Backend.updateThenAdvanceCounters; the update must end with "
                    + "its rule's kernel");
        }
    }

    /**
     * Issues {@code update} between {@link #begin} and {@link #end} (which also runs when the update throws):
     * whether one of its kernels took the counters; where none did, the caller issues the counters' own op.
     */
    public boolean run(Slice counters, Runnable update) {
        begin(counters);
        boolean advanced;
        try {
            update.run();
        } finally {
            advanced = end();
        }
        if (advanced) {
            taken++;
        }
        return advanced;
    }

    /** How many updates {@link #run} so far had a kernel advance the counters (the fused path); for tests. */
    public long taken() {
        return taken;
    }

    /** The update has been issued: whether a kernel advanced the counters (else the caller issues the advance). */
    public boolean end() {
        boolean taken = state == TAKEN;
        counters = null;
        state = NONE;
        return taken;
    }
}
