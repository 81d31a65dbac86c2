package dev.dendrite.backend.cpu;

import java.util.Arrays;

/**
 * Single-precision general matrix multiply for the CPU backend: {@code C = alpha * op(A) * op(B) + beta * C}.
 *
 * <h2>Design</h2>
 * The work is cut GotoBLAS-style: {@code k} into blocks of {@link #KC}, the columns of C into panels whose slice of
 * {@code op(B)} is packed into a thread-local buffer, and each panel into tiles computed by a micro-kernel that keeps
 * its accumulators in registers (or, for the plain-Java kernel, in a small L1-resident tile) for the whole k-block.
 * A narrow C (fewer than {@link #NARROW} columns) is usually computed transposed. Two kernels implement the same
 * arithmetic:
 * <ul>
 *   <li>{@code CpuGemmVector}, written with the incubating Vector API ({@code jdk.incubator.vector}). It is used only
 *       when that module is in the boot layer (the JVM was started with
 *       {@code --add-modules jdk.incubator.vector}); the class is loaded reflectively, so without the module it is
 *       never linked and nothing fails. It is about three times faster than the plain kernel on AVX-512.</li>
 *   <li>A plain-Java kernel, always available, whose inner loops are written so that C2's auto-vectoriser
 *       (SuperWord) accepts them: every array in a hot loop is indexed by the bare loop variable, because C2 (as of
 *       JDK 17 and 25) refuses to vectorise loops that read and write {@code float[]}s at run-time offsets it cannot
 *       prove apart.</li>
 * </ul>
 *
 * <h2>Numerics and determinism</h2>
 * Every element of C is computed the same way whatever the kernel, the blocking of m and n, or the number of
 * threads: for each k-block in order, a partial sum starting from zero accumulates the products with fused
 * multiply-adds in increasing k, then is folded into C as {@code c = fma(alpha, s, beta * c)} for the first block
 * ({@code c = alpha * s} when {@code beta == 0}, so old contents, NaN included, are ignored) and
 * {@code c = fma(alpha, s, c)} for later ones. Because a vector FMA lane and {@link Math#fma} are both the exactly
 * rounded result, the two kernels agree bit for bit, and a multi-threaded call (which splits C into disjoint column
 * or row ranges) returns exactly the single-threaded result. {@code alpha == 0} or {@code k == 0} reduces to
 * {@code C = beta * C} without reading A or B (BLAS convention), with {@code beta == 0} writing zeros.
 *
 * <h2>Threading</h2>
 * With {@link CpuWorkers} of {@code p > 1} threads and at least {@link #PARALLEL_MIN_FLOPS} floating-point
 * operations, C is cut into disjoint parts (ranges of whole 32-column tiles, or of 8-row groups when C is narrow)
 * that the calling thread and the {@code p - 1} workers claim until none is left; see {@code computeInParallel}.
 * Threads never write the same element. A, B and C must not overlap one another.
 */
public final class CpuGemm {

    /**
     * The k-block size. It is a constant, never tuned per call or per thread count, because it decides how the k-sum
     * is grouped and so the rounding of the result. 256 keeps a 32-column packed sliver of B (32 KiB) inside the
     * 48 KiB L1 while the register tile sweeps down the rows.
     */
    static final int KC = 256;

    /**
     * Below this many floating-point operations ({@code 2*m*n*k}) a call stays on the calling thread. Measured with
     * 2 threads on the 2-vCPU machine (Vector API kernel, single thread about 180 GFLOP/s at these sizes): up to
     * 4 MFLOP (64x128x256) splitting gained nothing and the 1.3 MFLOP narrow products lost 15-25%, because waking a
     * fork-join pool's worker took 70-100 us there (before {@link CpuWorkers}); 128x128x256 (8.4 MFLOP) gained in
     * the best runs and 128x256x256 (16.8 MFLOP) reached 1.6x.
     */
    static final long PARALLEL_MIN_FLOPS = 8_000_000L;

    /** Columns per unit when splitting C between threads: a multiple of every kernel's tile width. */
    static final int SPLIT_COLS = 32;

    /**
     * Rows per unit when C is split by rows instead: a multiple of the plain kernel's and the AVX-512 vector kernel's
     * tile heights (4 and 8); with the AVX2 vector kernel's 5-row tile each part may end in one short row group.
     */
    static final int SPLIT_ROWS = 8;

    /**
     * C with fewer columns than this (and more rows than columns) may be computed transposed; see {@link #gemm}.
     * Half a Vector API tile: below it a tile is over half padding.
     */
    static final int NARROW = 16;

    /**
     * The calling thread's scratch for a transposed narrow C, and for the copy of A shared by the parts of a parallel
     * product ({@link Problem#sharedA}). Each is used by one call at a time: the calling thread runs only parts of its
     * own call until that returns, and helper threads write to a call's arrays only while it waits for them.
     */
    private static final ThreadLocal<float[]> TRANSPOSED_C = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SHARED_A = ThreadLocal.withInitial(() -> new float[0]);

    /** The calling thread's array in {@code local}, grown to at least {@code length} and kept for later calls. */
    private static float[] threadScratch(ThreadLocal<float[]> local, int length) {
        float[] scratch = local.get();
        if (scratch.length < length) {
            scratch = new float[length];
            local.set(scratch);
        }
        return scratch;
    }

    /** Which kernel computes the blocks; {@link #AUTO} picks the fastest one available. Package-private for tests. */
    enum Impl { AUTO, PLAIN, VECTOR }

    /** Computes a rectangle of C over the whole of k. Implementations keep their own thread-local scratch. */
    interface Kernel {
        /**
         * Overwrites {@code C[i0..i1) x [j0..j1)} with {@code alpha * op(A) * op(B) + beta * C} restricted to that
         * rectangle, following the arithmetic described in the class comment. Requires {@code k > 0} and
         * non-empty ranges.
         */
        void compute(Problem p, int i0, int i1, int j0, int j1);

        /**
         * Whether parallel calls should split C by rows when they can (one part per thread), rather than by
         * columns.
         */
        default boolean prefersRowSplit() {
            return false;
        }

        /**
         * The length of the packed copy of A that column parts of this problem could share instead of each packing
         * all of A again, or 0 if the kernel reads this A in place or does not pack it. The copy is made by
         * {@link #packSharedA} into {@link Problem#sharedA} before any part is computed.
         */
        default int sharedALength(Problem p) {
            return 0;
        }

        /** The number of independent pieces {@link #packSharedA} cuts the shared copy of A into. */
        default int sharedAPieces(Problem p) {
            return 0;
        }

        /** Packs piece {@code piece} of A into {@link Problem#sharedA}. */
        default void packSharedA(Problem p, int piece) {
            throw new UnsupportedOperationException("this kernel does not pack A");
        }
    }

    /** The arguments of one call, with A's layout turned into a pair of strides so kernels need not branch on it. */
    static final class Problem {
        final int m, n, k;
        final float alpha, beta;
        final float[] a, b, c;
        final int aOff, bOff, cOff;
        final boolean transB;
        /** A(i, p) lives at {@code a[aOff + i * aRowStride + p * aColStride]}. */
        final int aRowStride, aColStride;
        /**
         * A packed once for all parts of a parallel call ({@link Kernel#sharedALength}), or null: each
         * {@link Kernel#compute} then packs (or reads) A itself. Written before the parts start.
         */
        float[] sharedA;

        Problem(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                float[] b, int bOff, float beta, float[] c, int cOff) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.a = a;
            this.b = b;
            this.c = c;
            this.aOff = aOff;
            this.bOff = bOff;
            this.cOff = cOff;
            this.transB = transB;
            this.aRowStride = transA ? 1 : k;
            this.aColStride = transA ? m : 1;
        }

        /**
         * The factor the first k-block applies to C's old value; {@code 0} means "overwrite" (and is honoured
         * literally: {@code 0 * NaN} must not leak into the result). Later blocks use {@code 1}.
         */
        float betaFor(int pc) {
            return pc == 0 ? beta : 1f;
        }
    }

    /** The Vector API kernel when its module is present and usable, else {@code null}. */
    private static final Kernel VECTOR =
            CpuVectorKernels.load(Kernel.class, "CpuGemmVector", "dendrite.gemm.plain");

    private static final Kernel PLAIN = new PlainKernel();

    private CpuGemm() {
    }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, all row-major and densely packed.
     *
     * @param transA whether A is stored {@code k x m} (so {@code op(A) = A^T}); otherwise {@code m x k}
     * @param transB whether B is stored {@code n x k} (so {@code op(B) = B^T}); otherwise {@code k x n}
     * @param m      rows of C and of {@code op(A)}; may be 0
     * @param n      columns of C and of {@code op(B)}; may be 0
     * @param k      the shared dimension; may be 0, leaving {@code C = beta * C}
     * @param alpha  scale of the product; 0 means A and B are not read
     * @param a      A's storage, {@code m * k} elements from {@code aOff}
     * @param aOff   offset of A's first element
     * @param b      B's storage, {@code k * n} elements from {@code bOff}
     * @param bOff   offset of B's first element
     * @param beta   scale of C's old contents; 0 means they are ignored (NaN included)
     * @param c      C's storage, {@code m * n} elements from {@code cOff}; must not overlap A or B
     * @param cOff   offset of C's first element
     * @param workers threads to help with large products; {@code null} computes on the calling thread. Results
     *               are identical either way.
     * @throws IllegalArgumentException  if a dimension is negative
     * @throws IndexOutOfBoundsException if a matrix does not fit in its array
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                            float[] b, int bOff, float beta, float[] c, int cOff, CpuWorkers workers) {
        gemm(Impl.AUTO, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, workers);
    }

    /**
     * Whether the fast kernel is in use, for logs and benchmarks.
     *
     * @return true if the JVM has {@code jdk.incubator.vector} (started with
     *         {@code --add-modules jdk.incubator.vector}) and the Vector API kernel initialised; false if products run
     *         on the plain-Java kernel
     */
    public static boolean vectorKernelAvailable() {
        return VECTOR != null;
    }

    /** {@link #gemm(boolean, boolean, int, int, int, float, float[], int, float[], int, float, float[], int,
     * CpuWorkers)} with an explicit kernel, so tests can compare them. */
    static void gemm(Impl impl, boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                     float[] b, int bOff, float beta, float[] c, int cOff, CpuWorkers workers) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative dimension: m=" + m + " n=" + n + " k=" + k);
        }
        checkFits("C", c, cOff, (long) m * n);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            scale(c, cOff, m * n, beta);
            return;
        }
        checkFits("A", a, aOff, (long) m * k);
        checkFits("B", b, bOff, (long) k * n);

        Kernel kernel;
        switch (impl) {
            case PLAIN:
                kernel = PLAIN;
                break;
            case VECTOR:
                if (VECTOR == null) {
                    throw new IllegalStateException("the Vector API kernel is unavailable in this JVM");
                }
                kernel = VECTOR;
                break;
            default:
                kernel = VECTOR != null ? VECTOR : PLAIN;
        }
        int threads = workers == null ? 1 : workers.threads();
        boolean parallel = threads > 1 && 2.0 * m * n * k >= PARALLEL_MIN_FLOPS;
        if (n < NARROW && m > n && (transA || kernel == PLAIN)) {
            // Narrow C (a 10-class output layer): every tile would be mostly padding, and the plain kernel's loops
            // would run only n long. Compute C^T = op(B)^T op(A)^T instead, whose rows are long. Each element still
            // sees the same operations in the same order (a product's operands just swap), so the result is
            // bit-identical to the direct computation. Measured (same-JVM A/B): 2x faster for both kernels when A is
            // transposed (dW = X^T dZ); with an untransposed A the Vector API kernel is 20-40% faster directly
            // (it reads A in place, whereas C^T would need A transposed while packing), the plain one about even
            // or faster transposed. (Computing A * B^T transposed, to transpose the smaller operand while packing,
            // measured +8% for 128x784x512 but -8% for 128x512x512, so it is not done.)
            float[] ct = threadScratch(TRANSPOSED_C, m * n);
            if (beta != 0f) {
                transpose(c, cOff, m, n, ct, 0);
            }
            run(kernel, new Problem(!transB, !transA, n, m, k, alpha, b, bOff, a, aOff, beta, ct, 0), workers,
                    parallel);
            transpose(ct, 0, n, m, c, cOff);
        } else {
            run(kernel, new Problem(transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff), workers,
                    parallel);
        }
    }

    private static void run(Kernel kernel, Problem p, CpuWorkers workers, boolean parallel) {
        if (parallel) {
            computeInParallel(kernel, p, workers);
        } else {
            compute(kernel, p, 0, p.m, 0, p.n);
        }
    }

    /**
     * Writes the transpose of the {@code rows x cols} matrix at {@code src[srcOff]} to {@code dst[dstOff]}, in 16 x 16
     * blocks: a row-by-row transpose writes with a stride of {@code rows} floats, and when that is a power of two
     * (512 in the course's shapes) all those writes land in a couple of L1 sets and miss every time.
     */
    private static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        final int block = 16;
        for (int i0 = 0; i0 < rows; i0 += block) {
            int i1 = Math.min(rows, i0 + block);
            for (int j0 = 0; j0 < cols; j0 += block) {
                int j1 = Math.min(cols, j0 + block);
                for (int i = i0; i < i1; i++) {
                    int si = srcOff + i * cols;
                    for (int j = j0; j < j1; j++) {
                        dst[dstOff + j * rows + i] = src[si + j];
                    }
                }
            }
        }
    }

    /**
     * Splits C into disjoint ranges ("parts") and computes them on the calling thread and the workers, each of which
     * claims parts until none is left.
     *
     * <p>For the Vector API kernel C is split by columns whenever it is wide enough: each column part then packs
     * only its own columns of B, whereas split by rows every part would pack all of B, a transposition for transB.
     * A, which every column part needs whole, is packed once for all of them when the kernel packs it at all
     * ({@link Kernel#sharedALength}), as a first phase whose pieces the threads also share; until 2026-12 each part
     * packed all of A again, four copies for a 2-thread call. C is split into {@link #PARTS_PER_THREAD}
     * column parts per thread, claimed as the threads arrive; C narrower than that is split by rows,
     * one part per thread. Measured on the course's shapes with 2 threads, splitting columns first was 5-20% faster
     * than splitting the longer side. The plain kernel prefers rows (see {@link Kernel#prefersRowSplit}): its
     * vectorised loops run along a part's columns and lose efficiency when they get shorter; split by rows it ran
     * about 40% faster with 2 threads than split by columns.
     *
     * <p>Each part is computed exactly as it would be by any thread, so results do not depend on who claims what.
     */
    private static void computeInParallel(Kernel kernel, Problem p, CpuWorkers workers) {
        int threads = workers.threads();
        int colUnits = (p.n + SPLIT_COLS - 1) / SPLIT_COLS;
        int rowUnits = (p.m + SPLIT_ROWS - 1) / SPLIT_ROWS;
        boolean byColumns = kernel.prefersRowSplit()
                ? rowUnits < threads && colUnits > rowUnits
                : colUnits >= threads * PARTS_PER_THREAD || colUnits >= rowUnits;
        int units = byColumns ? colUnits : rowUnits;
        int parts = Math.min(units, byColumns ? threads * PARTS_PER_THREAD : threads);
        if (parts <= 1) {
            compute(kernel, p, 0, p.m, 0, p.n);
            return;
        }
        int unit = byColumns ? SPLIT_COLS : SPLIT_ROWS;
        int extent = byColumns ? p.n : p.m;
        int pieces = 0;
        int sharedLength = byColumns ? kernel.sharedALength(p) : 0;
        if (sharedLength > 0) {
            p.sharedA = threadScratch(SHARED_A, sharedLength);
            pieces = kernel.sharedAPieces(p);
        }
        CpuClaimedParts.run(workers, pieces, piece -> kernel.packSharedA(p, piece), parts, q -> {
            int lo = (int) ((long) units * q / parts) * unit;
            int hi = Math.min(extent, (int) ((long) units * (q + 1) / parts) * unit);
            if (byColumns) {
                compute(kernel, p, 0, p.m, lo, hi);
            } else {
                compute(kernel, p, lo, hi, 0, p.n);
            }
        });
    }

    /**
     * C's rows {@code [i0, i1)} and columns {@code [j0, j1)}; for a short k, after reading one element of each of
     * their cache lines. Between a step's ops C is usually cold (a layer's gradient buffer, last touched a step ago,
     * behind Adam's sweep over every weight), and the kernels write it a tile at a time, stalling on each tile's
     * misses in turn; read up front ({@link CpuReadAhead}), the misses overlap. That pays where writing C is most
     * of the work: inside mlp512 epochs on the Intel Xeon the 10-class layer's dX product (128 x 512 x 10) went from
     * 125-134 to 82-84 us a call. With a long k the kernels' own work hides the misses,
     * and reading a C larger than the caches ahead of time only evicts it again: done for every product, mlp1024's
     * epochs ran 10-15% slower (bench/RESULTS.md).
     */
    private static void compute(Kernel kernel, Problem p, int i0, int i1, int j0, int j1) {
        if (p.k <= TOUCH_MAX_K) {
            int sum = 0;
            for (int i = i0; i < i1; i++) {
                int row = p.cOff + i * p.n;
                sum += CpuReadAhead.lines(p.c, row + j0, row + j1);
            }
            CpuReadAhead.keep(sum);
        }
        kernel.compute(p, i0, i1, j0, j1);
    }

    /** The longest k for which {@link #compute} reads C ahead: a 10- or 32-class layer's input gradient. */
    static final int TOUCH_MAX_K = 32;

    /**
     * Column parts per thread. One: each part then packs a wider panel of B per k-block and makes fewer passes over
     * the shared A, and since the helper threads poll ({@link CpuWorkers}) a worker starts its part within
     * microseconds, so finer parts have little lateness to balance (a part still unclaimed when the caller finishes
     * its own is taken by the caller). Measured on the 2-vCPU Intel Xeon (AVX-512, 2026-12-03,
     * {@code GemmBuildsAB} with two threads, both builds in one JVM, three runs with the builds' order swapped in
     * one): bn256's batch-64
     * products 1.02-1.27x as fast as with two parts per thread, the course's 128-row products 0.99-1.09x, 1024^3
     * 0.98-1.05x; same bits. (Four parts per thread measured no better than two, in 2026-11.)
     */
    static final int PARTS_PER_THREAD = 1;

    /** {@code C = beta * C}, with {@code beta == 0} writing zeros even over NaN. */
    private static void scale(float[] c, int off, int len, float beta) {
        if (beta == 0f) {
            Arrays.fill(c, off, off + len, 0f);
        } else if (beta != 1f) {
            for (int i = off; i < off + len; i++) {
                c[i] *= beta;
            }
        }
    }

    private static void checkFits(String name, float[] x, int off, long len) {
        if (x == null) {
            throw new NullPointerException(name + " is null");
        }
        if (off < 0 || off + len > x.length) {
            throw new IndexOutOfBoundsException(name + ": " + len + " elements from offset " + off
                    + " do not fit in an array of " + x.length);
        }
    }

    /**
     * Folds one k-block's partial sum {@code s} into C's old value: the scalar twin of the kernels' vector
     * write-back, so edge tiles round exactly like full ones. {@code beta} is {@link Problem#betaFor}.
     */
    static float fold(float alpha, float beta, float s, float old) {
        return beta == 0f ? alpha * s : Math.fma(alpha, s, beta * old);
    }

    // ------------------------------------------------------------------------------------------- plain-Java kernel

    /**
     * The portable kernel. For each k-block it copies the block's rows of {@code op(B)} restricted to a column panel
     * into separate thread-local row arrays, then for every group of four rows of C sweeps those arrays with loops
     * of the form {@code acc[j] = fma(a, b[j], acc[j])}, two k steps per sweep, which C2 turns into AVX-512 code
     * because every array is indexed by the bare loop variable. The four-row accumulator tile is then folded into
     * C. A group of four rows shares each load of B; two k steps per sweep halve the accumulator traffic. Measured
     * alternatives on JDK 17 (same-JVM A/B runs): one k step per sweep 40% slower, two rows by two k steps 0-5%
     * slower, two rows by four k steps four times slower (C2 stops vectorising such large loop bodies).
     */
    static final class PlainKernel implements Kernel {
        /** Columns per panel: long sweeps amortise C2's scalar pre- and post-loops; 256 x 512 floats fit in L2. */
        static final int NC = 512;
        static final int MR = 4;

        /** Its loops run along the columns of a part; splitting by rows keeps them long. */
        @Override
        public boolean prefersRowSplit() {
            return true;
        }

        private static final ThreadLocal<float[][][]> SCRATCH =
                ThreadLocal.withInitial(() -> new float[][][] {new float[KC][NC], new float[MR][NC]});

        @Override
        public void compute(Problem p, int i0, int i1, int j0, int j1) {
            float[][][] scratch = SCRATCH.get();
            float[][] bRows = scratch[0];
            float[][] acc = scratch[1];
            float[] a = p.a;
            int ars = p.aRowStride;
            int acs = p.aColStride;
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < p.k; pc += KC) {
                    int kc = Math.min(KC, p.k - pc);
                    packRows(p, pc, kc, jc, nc, bRows);
                    float beta = p.betaFor(pc);
                    for (int i = i0; i < i1; i += MR) {
                        int rows = Math.min(MR, i1 - i);
                        for (int r = 0; r < rows; r++) {
                            Arrays.fill(acc[r], 0, nc, 0f);
                        }
                        int aBase = p.aOff + i * ars + pc * acs;
                        if (rows == MR) {
                            float[] acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
                            int q = 0;
                            for (; q + 1 < kc; q += 2) {
                                int x = aBase + q * acs;
                                int y = x + acs;
                                rank2x4(acc0, acc1, acc2, acc3, bRows[q], bRows[q + 1],
                                        a[x], a[y], a[x + ars], a[y + ars],
                                        a[x + 2 * ars], a[y + 2 * ars], a[x + 3 * ars], a[y + 3 * ars], nc);
                            }
                            if (q < kc) {
                                int x = aBase + q * acs;
                                rank1x4(acc0, acc1, acc2, acc3, bRows[q],
                                        a[x], a[x + ars], a[x + 2 * ars], a[x + 3 * ars], nc);
                            }
                        } else {
                            for (int r = 0; r < rows; r++) {
                                float[] accR = acc[r];
                                int rowBase = aBase + r * ars;
                                int q = 0;
                                for (; q + 1 < kc; q += 2) {
                                    int x = rowBase + q * acs;
                                    rank2x1(accR, bRows[q], bRows[q + 1], a[x], a[x + acs], nc);
                                }
                                if (q < kc) {
                                    rank1x1(accR, bRows[q], a[rowBase + q * acs], nc);
                                }
                            }
                        }
                        for (int r = 0; r < rows; r++) {
                            foldRow(p.alpha, beta, acc[r], p.c, p.cOff + (i + r) * p.n + jc, nc);
                        }
                    }
                }
            }
        }

        /** Copies {@code op(B)[pc..pc+kc) x [jc..jc+nc)} into the row arrays. */
        private static void packRows(Problem p, int pc, int kc, int jc, int nc, float[][] rows) {
            float[] b = p.b;
            if (!p.transB) {
                for (int q = 0; q < kc; q++) {
                    System.arraycopy(b, p.bOff + (pc + q) * p.n + jc, rows[q], 0, nc);
                }
            } else {
                // op(B)(q, j) = B(j, q): walk each stored row of B contiguously, scattering into the k rows.
                for (int j = 0; j < nc; j++) {
                    int src = p.bOff + (jc + j) * p.k + pc;
                    for (int q = 0; q < kc; q++) {
                        rows[q][j] = b[src + q];
                    }
                }
            }
        }

        private static void foldRow(float alpha, float beta, float[] acc, float[] c, int off, int len) {
            if (beta == 0f) {
                for (int j = 0; j < len; j++) {
                    c[off + j] = alpha * acc[j];
                }
            } else {
                for (int j = 0; j < len; j++) {
                    c[off + j] = Math.fma(alpha, acc[j], beta * c[off + j]);
                }
            }
        }

        // The sweeps below nest the FMAs in increasing k, matching the order of the Vector API kernel.

        private static void rank2x4(float[] c0, float[] c1, float[] c2, float[] c3, float[] b0, float[] b1,
                                    float a00, float a01, float a10, float a11,
                                    float a20, float a21, float a30, float a31, int len) {
            for (int j = 0; j < len; j++) {
                float x0 = b0[j];
                float x1 = b1[j];
                c0[j] = Math.fma(a01, x1, Math.fma(a00, x0, c0[j]));
                c1[j] = Math.fma(a11, x1, Math.fma(a10, x0, c1[j]));
                c2[j] = Math.fma(a21, x1, Math.fma(a20, x0, c2[j]));
                c3[j] = Math.fma(a31, x1, Math.fma(a30, x0, c3[j]));
            }
        }

        private static void rank1x4(float[] c0, float[] c1, float[] c2, float[] c3, float[] b0,
                                    float a0, float a1, float a2, float a3, int len) {
            for (int j = 0; j < len; j++) {
                float x0 = b0[j];
                c0[j] = Math.fma(a0, x0, c0[j]);
                c1[j] = Math.fma(a1, x0, c1[j]);
                c2[j] = Math.fma(a2, x0, c2[j]);
                c3[j] = Math.fma(a3, x0, c3[j]);
            }
        }

        private static void rank2x1(float[] c0, float[] b0, float[] b1, float a0, float a1, int len) {
            for (int j = 0; j < len; j++) {
                c0[j] = Math.fma(a1, b1[j], Math.fma(a0, b0[j], c0[j]));
            }
        }

        private static void rank1x1(float[] c0, float[] b0, float a0, int len) {
            for (int j = 0; j < len; j++) {
                c0[j] = Math.fma(a0, b0[j], c0[j]);
            }
        }
    }
}
