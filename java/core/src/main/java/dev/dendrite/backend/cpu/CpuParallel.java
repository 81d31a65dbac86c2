package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.STAT_ACCURACY;
import static dev.dendrite.backend.Backend.STAT_LOSS;

import java.lang.ref.Cleaner;

/**
 * How the CPU backend's ops spread over threads: private {@link CpuWorkers}, the thresholds below which an op
 * stays on the calling thread, per-thread staging tiles and the reused reduction scratch. Every family of ops
 * ({@code Cpu*Ops}) runs its loops through the one instance its backend holds.
 *
 * <p>Results do not depend on the number of threads: element-wise ops have no cross-element state, column
 * reductions sum each column over the rows in an order fixed by the shape whatever the column split, and row
 * reductions (the loss totals) combine per-block partials over blocks whose size does not depend on the
 * thread count.
 */
final class CpuParallel {
    /** Below this many elements an op runs on the calling thread alone: a fork costs more than it saves. */
    static final int PARALLEL_MIN = 1 << 16;
    /** Work items (elements) per block of a parallel op, and per partial of a row reduction. */
    static final int GRAIN = 1 << 15;
    /**
     * Rough per-element costs that scale {@link #PARALLEL_MIN}: a memory-bound element (a load, an add), one
     * transcendental function (exp, erf), one Philox4x32-10 block (ten rounds of 32x32-bit multiplies).
     * Expensive elements pay for a fork at smaller sizes.
     */
    static final int CHEAP = 1;
    static final int TRANSCENDENTAL = 8;
    static final int PHILOX = 16;
    /**
     * The cost of an element of a streaming loop: the vectorised ones of {@link CpuLoops} and the cheap
     * activations, and the gather's table look-up per byte. They run at a fraction of a nanosecond per element,
     * bound by memory, so they are split by {@link #STREAMING_PARALLEL_MIN} rather than by a multiple of
     * {@link #PARALLEL_MIN}.
     */
    static final int STREAMING = 0;
    /**
     * Below this many elements a streaming op runs on the calling thread alone. With a fork-join pool (until
     * 2026-12-03), handing work over cost tens of microseconds on two cores and splitting paid only from about
     * 2M elements. With {@link CpuWorkers} a polling worker starts within microseconds, and one thread does not
     * saturate memory (the Xeon's triad: 12.7 GB/s on one thread, 24.1 on two): Adam over mlp512's 670K parameters
     * took 0.7-1.0 ms a step split from 64K elements (the 401K and 262K weight matrices), 1.2-1.4 ms unsplit (the
     * Xeon, AVX-512, profiled mlp512 epochs). The element-wise ops over one 128 x 512 batch (64K elements) showed no
     * gain from splitting in the same runs, so the threshold sits above them.
     */
    static final int STREAMING_PARALLEL_MIN = 1 << 17;
    /** The narrowest column range a column sum is split into. */
    static final int MIN_SPLIT_COLUMNS = 256;
    /**
     * Elements per staging tile: the vectorised loops run on tiles when the slices' offsets differ (see
     * {@link CpuLoops}), and on row groups of this size. Up to five tiles are live at once, so 1024 floats
     * (4 KB) each keeps them in the L1 cache. A row wider than this gets a tile of its own width.
     */
    static final int TILE = 1024;
    /**
     * Column sums add each row group into float partial sums, which are added into double accumulators every
     * {@code FLUSH} groups. A float partial of at most 8 terms is within 7 float roundings of its terms'
     * absolute sum (8 with the final rounding), inside the {@code 4 EPS sqrt(k + 1)} of the conformance suite
     * for any k rows; the double sums add nothing measurable.
     */
    static final int FLUSH = 8;

    /** Closes the workers of a backend that was dropped without being closed. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final int threads;
    private final CpuWorkers workers;
    /** Reused accumulators for reductions, grown on demand: ops run one at a time, so one suffices. */
    private double[] scratch = new double[64];
    /** Staging tiles of each thread that runs this backend's ops (the caller and the workers). */
    private final ThreadLocal<Tiles> tiles = ThreadLocal.withInitial(Tiles::new);

    CpuParallel(int threads) {
        this.threads = threads;
        this.workers = threads > 1 ? new CpuWorkers(threads) : null;
        if (workers != null) {
            CLEANER.register(this, workers::close);  // references the workers only, never this
        }
    }

    /** The number of threads ops may use. */
    int threads() {
        return threads;
    }

    /** The helper threads, for {@link CpuGemm}; null with one thread. */
    CpuWorkers workers() {
        return workers;
    }

    /** The calling thread's staging tiles. */
    Tiles tiles() {
        return tiles.get();
    }

    /** Stops the worker threads and drops the scratch. */
    void close() {
        if (workers != null) {
            workers.close();
        }
        scratch = null;
    }

    // ================================================================== staging tiles

    /** One thread's staging tiles: float arrays by slot, grown on demand and kept (never shrunk). */
    static final class Tiles {
        private final float[][] slots = new float[11][0];  // 9 and 10: CpuBatchNormStaged's

        float[] get(int slot, int length) {
            float[] t = slots[slot];
            if (t.length < length) {
                t = new float[Math.max(length, TILE)];
                slots[slot] = t;
            }
            return t;
        }

        /** {@link #get}, with the first {@code length} elements zeroed: a fresh accumulator. */
        float[] zeroed(int slot, int length) {
            float[] t = get(slot, length);
            java.util.Arrays.fill(t, 0, length, 0f);
            return t;
        }
    }

    /** Rows per row group of a {@code cols}-wide matrix: as many whole rows as fill a tile, at least one. */
    static int rowsPerTile(int cols) {
        return cols == 0 ? 1 : Math.max(1, TILE / cols);
    }

    /**
     * Copies rows {@code [r, r + nr)}, columns {@code [c0, c0 + w)} of the {@code cols}-wide matrix at
     * {@code x[xo]} into {@code t}, {@code w} elements per row (one copy when {@code w == cols}).
     */
    static void stage(float[] x, int xo, int cols, int r, int nr, int c0, int w, float[] t) {
        if (w == cols) {
            System.arraycopy(x, xo + r * cols, t, 0, nr * cols);
            return;
        }
        for (int k = 0; k < nr; k++) {
            System.arraycopy(x, xo + (r + k) * cols + c0, t, k * w, w);
        }
    }

    // ================================================================== parallel loops

    /**
     * Whether {@code elements} elements of per-element {@code cost} are worth spreading over the workers. Checked
     * before building a task, so that an op below the threshold allocates nothing.
     */
    boolean split(long elements, int cost) {
        if (threads == 1) {
            return false;
        }
        return cost == STREAMING ? elements >= STREAMING_PARALLEL_MIN : elements * cost >= PARALLEL_MIN;
    }

    /** A loop body over items {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** A loop body over block {@code block}, items {@code [from, to)}. */
    @FunctionalInterface
    interface BlockRange {
        void run(int block, int from, int to);
    }

    /** A row-reduction body: processes rows {@code [from, to)}, writes (loss, accuracy) to {@code out[at..at+1]}. */
    @FunctionalInterface
    interface RowReduction {
        void run(int from, int to, double[] out, int at);
    }

    static int blocks(int n, int blockSize) {
        return (int) (((long) n + blockSize - 1) / blockSize);
    }

    double[] scratch(long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("reduction needs " + size + " accumulators; too many");
        }
        if (scratch.length < size) {
            scratch = new double[(int) Math.max(size, 2L * scratch.length)];
        }
        return scratch;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in blocks of {@code blockSize} items (the last one shorter), claimed by
     * this thread and the workers ({@link CpuClaimedParts}) when {@code parallel} and there is more than one
     * block, else in order on this thread.
     */
    void run(int n, int blockSize, boolean parallel, BlockRange body) {
        int nb = blocks(n, blockSize);
        if (nb <= 1 || !parallel || threads == 1) {
            for (int b = 0; b < nb; b++) {
                body.run(b, b * blockSize, (int) Math.min(n, (long) (b + 1) * blockSize));
            }
            return;
        }
        CpuClaimedParts.run(workers, nb,
                b -> body.run(b, b * blockSize, (int) Math.min(n, (long) (b + 1) * blockSize)));
    }

    /**
     * A vectorised streaming loop over {@code [0, n)} (a fraction of a nanosecond per element, bound by memory):
     * on the calling thread below {@link #STREAMING_PARALLEL_MIN} elements, else split like {@link #forRange}.
     */
    void forStreaming(int n, Range body) {
        if (split(n, STREAMING)) {
            forRange(n, CHEAP, body);
        } else {
            body.run(0, n);
        }
    }

    /**
     * Element-wise loop over {@code [0, n)} items that each cost about {@code cost} simple operations: one
     * call when the work is small, else about 4 blocks per thread.
     */
    void forRange(int n, int cost, Range body) {
        if ((long) n * cost < PARALLEL_MIN || threads == 1 || n < 2) {
            body.run(0, n);
            return;
        }
        int size = Math.max(Math.max(1, GRAIN / cost), blocks(n, threads * 4));
        run(n, size, true, (b, from, to) -> body.run(from, to));
    }

    /** Loop over the rows of a {@code rows x cols} matrix, split by rows when the work is large. */
    void forRows(int rows, int cols, int cost, Range body) {
        long work = (long) rows * cols * cost;
        if (work < PARALLEL_MIN || threads == 1 || rows < 2) {
            body.run(0, rows);
            return;
        }
        long rowWork = Math.max(1L, (long) cols * cost);
        int size = (int) Math.max(Math.max(1L, GRAIN / rowWork), blocks(rows, threads * 4));
        run(rows, size, true, (b, from, to) -> body.run(from, to));
    }

    /**
     * Loop over column ranges of a {@code rows x cols} matrix, each range visiting every row: a column's
     * reduction is then summed in row order, whatever the split.
     */
    void forColumns(int rows, int cols, int cost, Range body) {
        long work = (long) rows * cols * cost;
        if (work < PARALLEL_MIN || threads == 1 || cols < 32) {
            body.run(0, cols);
            return;
        }
        // At least 16 columns per task so each row segment fills whole cache lines.
        int size = Math.max(16, blocks(cols, threads * 2));
        run(cols, size, true, (b, from, to) -> body.run(from, to));
    }

    /**
     * Sums a per-row (loss, accuracy) over {@code rows} and adds the totals to {@code stats}. Rows are cut
     * into blocks of a size fixed by {@code cols} alone, each block's partial is computed once and the
     * partials are added in order, so the totals are the same with any thread count.
     */
    void reduceRows(int rows, int cols, float[] st, int so, RowReduction body) {
        int rowsPerBlock = Math.max(1, GRAIN / cols);
        int nb = Math.max(1, blocks(rows, rowsPerBlock));
        double[] part = scratch(2L * nb);
        if (nb == 1) {
            body.run(0, rows, part, 0);
        } else {
            run(rows, rowsPerBlock, (long) rows * cols >= PARALLEL_MIN,
                    (b, from, to) -> body.run(from, to, part, 2 * b));
        }
        double loss = 0;
        double acc = 0;
        for (int b = 0; b < nb; b++) {
            loss += part[2 * b];
            acc += part[2 * b + 1];
        }
        st[so + STAT_LOSS] = (float) (st[so + STAT_LOSS] + loss);
        st[so + STAT_ACCURACY] = (float) (st[so + STAT_ACCURACY] + acc);
    }
}
