package dev.dendrite.backend.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel of {@link CpuGemm}: a register-blocked micro-kernel in the GotoBLAS/BLIS style.
 *
 * <p>This class references {@code jdk.incubator.vector}, so {@link CpuGemm} loads it reflectively and only when that
 * module is in the boot layer; nothing else may refer to it directly.
 *
 * <p>For each k-block, the block's rows of {@code op(B)} restricted to a column panel are packed into thread-local
 * slivers {@link #NR} columns wide, stored k-major, so that per k step the micro-kernel reads {@code NR} values of B
 * with two contiguous vector loads. With the 5- and 4-row tiles A is read in place when it is not transposed (each
 * of the {@link #MR} rows is contiguous along k); with transA, and with the 8-row tile whenever C is at least
 * {@link #PACK_A_MIN_COLS} wide (see {@link #PACK_A}), groups of MR rows are packed k-major (for transA a plain copy);
 * a parallel call packs them once for all its parts ({@link #sharedALength}). The micro-kernel keeps an
 * {@code MR x NR} tile of C in {@code 2 * MR} vector registers for the whole k-block: per k step two loads of B,
 * {@code MR} broadcasts of A and {@code 2 * MR} FMAs. The tile height is chosen from the preferred species when the
 * class loads: with AVX-512 (16 float lanes, 32 registers) 8 x 32, 16 accumulators; with AVX2 (8
 * lanes, 16 registers) 5 x 16, 10 accumulators. The 6 x 16 tile that BLIS and OpenBLAS use on AVX2 (12
 * accumulators, 15 of the 16 registers) ran at 55-60% of the 4 x 16 one's speed here under C2 (JDK 17,
 * {@code -XX:UseAVX=2}, CPU time per product on the course's shapes and 1024^3): C2 spills what hand-written
 * assembly keeps in registers, so the kernel keeps a register or two of slack. 5 x 16 measured 0-15% faster than
 * 4 x 16, which keeps only the 8 FMA chains two 4-cycle FMA pipes need at the least. On AVX-512 a 12 x 32 tile
 * (24 accumulators) was 30-40% slower than 8 x 32 for the in-place kernels (12 row indices in general registers).
 *
 * <p>Tiles that overhang C (the last rows or columns) run a kernel on zero-padded inputs and fold only the valid
 * part, so they round exactly like full tiles. To pad less, a last sliver of at most L columns uses one-vector
 * kernels: a 10-class layer's product runs 35% faster for it. A last group of rows is padded to MR: with the
 * course's batch of 128 there is none on AVX-512 and 3 rows padded to 5 in 128 on AVX2; separate 4-row kernels
 * for it (until 2026-12) saved 4% on 100 x 30 x 300 and doubled the kernel count (see the note above the kernels).
 */
final class CpuGemmVector implements CpuGemm.Kernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Float lanes per vector. */
    private static final int L = S.length();

    /** Tile width: two vectors. */
    static final int NR = 2 * L;

    /**
     * Tile height: 8 with 16-lane vectors (32 registers), 5 with 8-lane ones (16 registers). The system property
     * {@code dendrite.cpu.gemmRows} (4, 5 or 8) overrides it, for benchmarking one shape against another on the same
     * machine; results are bit-identical whatever the height (each element's sum is the same sequence of FMAs).
     */
    static final int MR = tileRows(Integer.getInteger("dendrite.cpu.gemmRows", L >= 16 ? 8 : 5));

    /**
     * Whether an untransposed A is packed k-major like a transposed one instead of being read in place by the "r"
     * kernels. See {@link #packsRows}; the system property {@code dendrite.cpu.gemmPackA} ({@code true} or
     * {@code false}) overrides the default, to compare both on one machine. Results are bit-identical either way.
     */
    static final boolean PACK_A = packsRows(System.getProperty("dendrite.cpu.gemmPackA"), MR);

    /**
     * Fewer columns of C than this keep reading an untransposed A in place even when {@link #PACK_A}: each packed
     * element of A then serves only {@code 2 * cols} flops. Measured on the Xeon (CPU time, one thread): for the
     * 10-class output layer (128 x 10 x 512) packing was 15-30% slower; for 64 columns (a 2-thread column part of
     * bn256's products) 0.93-1.05x, break-even; for 128 columns 1.03-1.15x; for 256, 1.18-1.25x.
     */
    static final int PACK_A_MIN_COLS = 96;

    /**
     * The default packs A for the 8-row tile only. Measured by CPU time, one thread, on a 2-vCPU Intel Xeon (Sapphire
     * Rapids class, AVX-512, 2026-12-02): the 8 x 32 kernel reading A in place ran 46-59 GFLOP/s on products where
     * those with A transposed, and so packed, ran 77-97; packing it too made the course's products 1.1-1.3x faster
     * (bench/RESULTS.md). With the 5 x 16 tile (AVX2) the two ran within noise. The likely cause, not confirmed
     * from the generated code: the 8-row "r" kernel keeps eight row offsets live beside its loop variables, more
     * than C2 has general registers left for, and reloading them costs more than the packing. (On the AMD EPYC the
     * in-place reads were the faster, see the class comment.)
     */
    static boolean packsRows(String property, int rows) {
        if (property == null) {
            return rows == 8;
        }
        if (!property.equals("true") && !property.equals("false")) {
            throw new IllegalArgumentException("dendrite.cpu.gemmPackA = " + property + "; expected true or false");
        }
        return Boolean.parseBoolean(property);
    }

    private static int tileRows(int rows) {
        if (rows != 4 && rows != 5 && rows != 8) {
            throw new IllegalArgumentException("dendrite.cpu.gemmRows = " + rows + "; expected 4, 5 or 8");
        }
        return rows;
    }

    /**
     * Columns per packed panel of B. A {@code KC x NC} panel (512 KiB) stays in the 1 MiB L2 next to the block of A
     * being swept (see {@link #MC}).
     */
    static final int NC = 512;

    /**
     * Whether the wide kernels store whole tiles into C themselves (see {@link #fold}): with the 8-row AVX-512 tile
     * only. With the 5 x 16 AVX2 tile it measured neutral alone (0.98-1.06x by shape, one thread) and could not be
     * told from noise inside mlp512's epochs, where its rounds ranged from 0.94 to 1.31x the old build's time, so
     * the AVX2 build keeps storing through the scratch tile as before (2026-12-03, bench/results/gemm-fold).
     */
    static final boolean FOLD_IN_KERNEL = MR == 8;

    /** Rows of C (and of A) swept per packed panel before moving on; 256 x 256 floats of A is 256 KiB, in L2. */
    static final int MC = 256;

    /**
     * Per-thread scratch: the packed panel of B (placed so that its vector loads stay within cache lines), the
     * packed block of A (or the zero-padded last rows of an untransposed A) and one tile of raw sums.
     */
    private static final class Scratch {
        final CpuAlignedPanel bPanel = new CpuAlignedPanel(CpuGemm.KC * NC);
        final float[] aBlock = new float[CpuGemm.KC * (MC + MR)];  // MC rows rounded up to whole groups
        final float[] tile = new float[8 * NR];  // the narrow kernels store all eight rows, see below
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Refuses vectors of fewer than 8 lanes (no AVX2 or equivalent): there the Vector API would not beat the plain
     * kernel. Throwing makes {@link CpuGemm} fall back to it.
     */
    CpuGemmVector() {
        if (L < 8) {
            throw new UnsupportedOperationException("preferred float vector has only " + L + " lanes");
        }
    }

    /**
     * Whether {@link #compute} packs this problem's A (rather than reading it in place) for a part {@code cols}
     * columns wide: always when A is transposed, else see {@link #PACK_A}.
     */
    private static boolean packsA(CpuGemm.Problem p, int cols) {
        return p.aColStride != 1 || (PACK_A && cols >= PACK_A_MIN_COLS);
    }

    /**
     * The largest shared copy of A, in floats (4 MiB): a bound on the buffer each calling thread keeps. A larger A
     * (not among the course's shapes; 1024^3 needs exactly this much) is packed by each part, as before 2026-12.
     */
    static final int SHARED_A_MAX = 1 << 20;

    /** Rows packed for a block of {@link #MC} rows: whole groups of MR (MC is not a multiple of 5). */
    private static final int MC_PADDED = (MC + MR - 1) / MR * MR;

    /** Rows the shared copy of A holds per k step: each block of MC rows rounded up to whole groups of MR. */
    private static int paddedRows(int m) {
        return m / MC * MC_PADDED + (m % MC + MR - 1) / MR * MR;
    }

    /**
     * Where the shared copy of A keeps the block of rows starting at {@code ic} (a multiple of MC) of the k-block at
     * {@code pc}: each k-block holds all rows, {@code mPad} per k step, packed block after block as
     * {@link #packKMajor} packs one.
     */
    private static int sharedOffset(int pc, int ic, int kc, int mPad) {
        return pc * mPad + ic / MC * MC_PADDED * kc;
    }

    @Override
    public int sharedALength(CpuGemm.Problem p) {
        long length = (long) paddedRows(p.m) * p.k;
        return packsA(p, p.n) && length <= SHARED_A_MAX ? (int) length : 0;
    }

    /** One piece per k-block and {@link #MC} rows, the unit {@link #compute} packs at a time. */
    @Override
    public int sharedAPieces(CpuGemm.Problem p) {
        return ((p.k + CpuGemm.KC - 1) / CpuGemm.KC) * ((p.m + MC - 1) / MC);
    }

    @Override
    public void packSharedA(CpuGemm.Problem p, int piece) {
        int rowBlocks = (p.m + MC - 1) / MC;
        int pc = piece / rowBlocks * CpuGemm.KC;
        int ic = piece % rowBlocks * MC;
        int kc = Math.min(CpuGemm.KC, p.k - pc);
        packKMajor(p, ic, Math.min(p.m, ic + MC), pc, kc, p.sharedA, sharedOffset(pc, ic, kc, paddedRows(p.m)));
    }

    @Override
    public void compute(CpuGemm.Problem p, int i0, int i1, int j0, int j1) {
        Scratch s = SCRATCH.get();
        float[] bPanel = s.bPanel.data;
        int bStart = s.bPanel.start();
        float[] aBlock = s.aBlock;
        float[] tile = s.tile;
        // Without transA, A's rows are contiguous along k and the rows kernels can read them in place: packing them
        // k-major is a transposition, which measured 10-15% slower overall on the AMD EPYC, but 1.1-1.3x faster
        // for the 8-row tile on the Intel Xeon (see PACK_A). With transA the MR values of a k step are adjacent,
        // and packing them k-major is a copy.
        boolean shared = p.sharedA != null;
        boolean inPlace = !shared && !packsA(p, j1 - j0);
        int mPad = paddedRows(p.m);
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < p.k; pc += CpuGemm.KC) {
                int kc = Math.min(CpuGemm.KC, p.k - pc);
                packB(p, pc, kc, jc, nc, bPanel, bStart);
                float beta = p.betaFor(pc);
                boolean storeInKernel = FOLD_IN_KERNEL && beta == 0f && p.alpha == 1f;
                for (int ic = i0; ic < i1; ic += MC) {
                    int iEnd = Math.min(i1, ic + MC);
                    int fullEnd = iEnd - (iEnd - ic) % MR;
                    // Row group i of this block starts at aPacked[aBase + (i - ic) * kc] when A is packed.
                    float[] aPacked = aBlock;
                    int aBase = 0;
                    if (shared) {
                        aPacked = p.sharedA;
                        aBase = sharedOffset(pc, ic, kc, mPad);
                    } else if (!inPlace) {
                        packKMajor(p, ic, iEnd, pc, kc, aBlock, 0);
                    } else if (fullEnd < iEnd) {
                        packTailRows(p, fullEnd, iEnd, pc, kc, aBlock);
                    }
                    for (int js = 0; js < nc; js += NR) {
                        int cols = Math.min(NR, nc - js);
                        boolean two = cols > L;  // a last sliver of at most L columns: one vector
                        int bo = bStart + js * kc;
                        for (int i = ic; i < iEnd; i += MR) {
                            int rows = Math.min(MR, iEnd - i);
                            int ci = p.cOff + i * p.n + jc + js;
                            if (storeInKernel && rows == MR && cols == NR) {
                                // A whole tile of C's first k-block: the kernel stores its sums into C itself.
                                if (!inPlace) {
                                    packedWide(kc, aPacked, aBase + (i - ic) * kc, bPanel, bo, p.c, ci, p.n);
                                } else {
                                    rowsWide(kc, p.a, p.aOff + i * p.k + pc, p.k, bPanel, bo, p.c, ci, p.n);
                                }
                                continue;
                            }
                            if (!inPlace) {
                                packedKernel(two, kc, aPacked, aBase + (i - ic) * kc, bPanel, bo, tile);
                            } else if (i < fullEnd) {
                                rowsKernel(two, kc, p.a, p.aOff + i * p.k + pc, p.k, bPanel, bo, tile);
                            } else {
                                rowsKernel(two, kc, aBlock, 0, kc, bPanel, bo, tile);
                            }
                            fold(tile, rows, cols, p.c, ci, p.n, p.alpha, beta);
                        }
                    }
                }
            }
        }
    }

    /**
     * Folds a tile of raw sums into C, element for element as {@link CpuGemm#fold} does (a vector FMA lane rounds
     * exactly like {@link Math#fma}): for the tiles that overhang C, the narrow kernels' tiles, and every tile when
     * {@link #FOLD_IN_KERNEL} is off (the AVX2 tile).
     *
     * <p>Whole tiles of the 8-row tile in the first k-block of a plain product (alpha 1, beta 0: every product of
     * training) skip this detour ({@link #FOLD_IN_KERNEL}): the two-vector kernels store their registers into C
     * themselves, written out in each kernel, because a helper taking vectors as arguments is not always inlined into
     * the large kernel (C2 reports NodeCountInliningCutoff), and a vector that crosses a real call is boxed on the
     * heap, which made the whole kernel ten times slower. Storing in the kernel made the course's products 2-6%
     * faster than storing every tile here first, and the 10-class layer's dX product (k = 10) 27% (one thread, Intel
     * Xeon, AVX-512, 2026-12-03, bench/RESULTS.md). The kernels once folded alpha and beta too; with those folds
     * written out, C2 hit the same cutoff inside the kernel itself whenever a recompilation parsed them, and boxed the
     * fold's vectors for the rest of the run (AMD EPYC, AVX-512, 2026-12-07: up to 2.3 GB of boxed vectors in an
     * epoch of bn256, in 5 of 10 bn256 and drop512 runs). Those tiles now come here.
     */
    private static void fold(float[] tile, int rows, int cols, float[] c, int cBase, int ldc, float alpha,
                             float beta) {
        if (cols == NR) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            for (int r = 0; r < rows; r++) {
                int ci = cBase + r * ldc;
                int ti = r * NR;
                for (int v = 0; v < NR; v += L) {
                    FloatVector sum = FloatVector.fromArray(S, tile, ti + v);
                    if (beta == 0f) {
                        sum.mul(av).intoArray(c, ci + v);
                    } else {
                        sum.fma(av, FloatVector.fromArray(S, c, ci + v).mul(beta)).intoArray(c, ci + v);
                    }
                }
            }
        } else {
            for (int r = 0; r < rows; r++) {
                int ci = cBase + r * ldc;
                int ti = r * NR;
                for (int j = 0; j < cols; j++) {
                    c[ci + j] = CpuGemm.fold(alpha, beta, tile[ti + j], c[ci + j]);
                }
            }
        }
    }

    /**
     * Packs rows {@code [i0, i1)} of {@code op(A)}, columns {@code [pc, pc+kc)}, into groups of MR rows stored
     * k-major from {@code dst[d]}: group {@code g} holds {@code A(i0 + g*MR + r, pc + q)} at
     * {@code d + g*kc*MR + q*MR + r}, with rows past
     * {@code i1} zero. With transA the MR values of one k step are adjacent in A, so each step is one short
     * {@code System.arraycopy} (C2 inlines it as a few moves; a Vector API copy through an 8-lane species measured
     * four times slower on JDK 17, apparently not intrinsified).
     */
    private static void packKMajor(CpuGemm.Problem p, int i0, int i1, int pc, int kc, float[] dst, int d) {
        float[] a = p.a;
        int ars = p.aRowStride;
        int acs = p.aColStride;
        for (int i = i0; i < i1; i += MR) {
            int rows = Math.min(MR, i1 - i);
            int src = p.aOff + i * ars + pc * acs;
            if (rows == MR && ars == 1) {
                for (int q = 0; q < kc; q++, d += MR, src += acs) {
                    System.arraycopy(a, src, dst, d, MR);
                }
            } else if (rows == MR && acs == 1) {
                // An untransposed A (see PACK_A): read each row along k, contiguously, and write it down the group.
                for (int r = 0; r < MR; r++) {
                    int s = src + r * ars;
                    for (int q = 0, dq = d + r; q < kc; q++, dq += MR) {
                        dst[dq] = a[s + q];
                    }
                }
                d += kc * MR;
            } else {
                for (int q = 0; q < kc; q++, d += MR, src += acs) {
                    for (int r = 0; r < rows; r++) {
                        dst[d + r] = a[src + r * ars];
                    }
                    for (int r = rows; r < MR; r++) {
                        dst[d + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Copies rows {@code [i0, i1)} (fewer than MR) of a non-transposed A, columns {@code [pc, pc+kc)}, row-major
     * with row stride {@code kc}, and zeros the missing rows: the last row group, which the kernel cannot read in
     * place without running past A.
     */
    private static void packTailRows(CpuGemm.Problem p, int i0, int i1, int pc, int kc, float[] dst) {
        for (int r = 0; r < MR; r++) {
            if (i0 + r < i1) {
                System.arraycopy(p.a, p.aOff + (i0 + r) * p.k + pc, dst, r * kc, kc);
            } else {
                Arrays.fill(dst, r * kc, (r + 1) * kc, 0f);
            }
        }
    }

    /**
     * Packs {@code op(B)[pc..pc+kc) x [jc..jc+nc)} into slivers of NR columns; sliver {@code s} holds element
     * {@code (q, j)} at {@code at + s*kc*NR + q*NR + j}. The last sliver is padded with zeros to NR columns, or to L
     * if it has at most L.
     */
    private static void packB(CpuGemm.Problem p, int pc, int kc, int jc, int nc, float[] dst, int at) {
        float[] b = p.b;
        // Untransposed, the whole slivers go row by row; only a last, narrower sliver is left to the loop.
        int whole = p.transB ? 0 : nc - nc % NR;
        if (whole > 0) {
            packBRows(p, pc, kc, jc, whole, dst, at);
        }
        for (int js = whole; js < nc; js += NR) {
            int cols = Math.min(NR, nc - js);
            int width = cols <= L ? L : NR;  // the sliver width the kernel will use; see packedKernel
            int base = at + js * kc;
            if (!p.transB) {
                int src = p.bOff + pc * p.n + jc + js;
                for (int q = 0; q < kc; q++) {
                    System.arraycopy(b, src, dst, base, cols);
                    for (int j = cols; j < width; j++) {
                        dst[base + j] = 0f;
                    }
                    src += p.n;
                    base += width;
                }
            } else {
                // op(B)(q, j) = B(j, q): read stored rows of B contiguously and scatter them down sliver columns,
                // four rows at a time so that each k step writes four adjacent floats (measured 20% faster than one
                // row at a time; this transposition is what makes transB calls ~15% slower than the others).
                int ldb = p.k;
                int src = p.bOff + (jc + js) * ldb + pc;
                int j = 0;
                for (; j + 4 <= cols; j += 4, src += 4 * ldb) {
                    int s1 = src + ldb;
                    int s2 = s1 + ldb;
                    int s3 = s2 + ldb;
                    for (int q = 0, d = base + j; q < kc; q++, d += width) {
                        dst[d] = b[src + q];
                        dst[d + 1] = b[s1 + q];
                        dst[d + 2] = b[s2 + q];
                        dst[d + 3] = b[s3 + q];
                    }
                }
                for (; j < cols; j++, src += ldb) {
                    for (int q = 0, d = base + j; q < kc; q++, d += width) {
                        dst[d] = b[src + q];
                    }
                }
                for (; j < width; j++) {
                    for (int q = 0, d = base + j; q < kc; q++, d += width) {
                        dst[d] = 0f;
                    }
                }
            }
        }
    }

    /**
     * {@link #packB} for an untransposed B whose columns are whole slivers, row by row: each row of the block read
     * once, contiguously, and scattered across the slivers. Sliver by sliver, each row is read 32 columns (two cache
     * lines) at a time with the row stride between, a pattern the hardware prefetchers follow badly when B is cold,
     * as the weights are after Adam's sweep. Same values in the same places; one thread with the caches swept
     * between calls 3-12% faster on the course's shapes, two threads and hot caches unchanged (bench/RESULTS.md).
     */
    private static void packBRows(CpuGemm.Problem p, int pc, int kc, int jc, int nc, float[] dst, int at) {
        float[] b = p.b;
        for (int q = 0; q < kc; q++) {
            int src = p.bOff + (pc + q) * p.n + jc;
            int d = at + q * NR;
            for (int js = 0; js < nc; js += NR, d += NR * kc) {
                FloatVector.fromArray(S, b, src + js).intoArray(dst, d);
                FloatVector.fromArray(S, b, src + js + L).intoArray(dst, d + L);
            }
        }
    }

    // The micro-kernels: one per way of reading A and width of the sliver of B. Each accumulates, for a group of MR
    // rows of op(A) and a packed sliver of B two vectors wide (one for "narrow": a last sliver of at most L
    // columns), sum_q A(r, q) * B(q, j) over kc steps in registers, in increasing q starting from zero; the narrow
    // ones then store the raw sums into `tile` (row-major, NR wide), the wide ones fold them (below).
    //
    // A kernel serves every tile height: rows 4 to 7 sit behind tests of MR, a static final that C2 folds when it
    // compiles, so the 4- and 5-row builds compile no code for the rows they lack, and those accumulators stay the
    // constant zero in no register. The narrow kernels' stores need no such tests (the tile has room for eight
    // rows; fold reads only the valid part). The wide kernels store their raw sums into a destination of MR rows: C
    // itself for a whole tile of a plain product's first k-block, or the scratch tile for one that overhangs C or
    // is folded with alpha and beta.
    //
    // Why four kernels and not one, each difference measured (CPU time, one thread, 2-vCPU Xeon, 2026-12-03, see
    // bench/RESULTS.md):
    // - The width and, before, the height of a last group (4-row kernels) were arguments tested inside the loop:
    //   20 times slower: C2 (JDK 17) apparently does not scalar-replace a vector that a branch inside the loop
    //   merges, and boxed every accumulator on every step. So what varies between calls needs a method of its
    //   own; only what is fixed per JVM (MR) may be tested inside.
    // - The accumulators are sixteen named locals, not an array, for the same reason: an array of vectors is not
    //   scalar-replaced on JDK 17.
    // - "packed" reads a k-major packed group, a[ao + q*MR + r], "rows" reads rows, a[ao + r*lda + q] (A itself
    //   when it is not transposed). One kernel taking both strides as arguments ran at 0.82x: it keeps eight row
    //   offsets in general registers and indexes A through a second induction variable of unknown stride, whose
    //   bounds checks C2 does not hoist. Packing A row-major instead of k-major, so that "rows" could serve
    //   packed groups too, ran at 0.80-0.92x.
    // - Padding a narrow sliver to two vectors doubles the FMAs of a 10-class layer's products.

    private static void packedKernel(boolean two, int kc, float[] a, int ao, float[] bp, int bo, float[] tile) {
        if (two) {
            packedWide(kc, a, ao, bp, bo, tile, 0, NR);
        } else {
            packedNarrow(kc, a, ao, bp, bo, tile);
        }
    }

    private static void rowsKernel(boolean two, int kc, float[] a, int ao, int lda, float[] bp, int bo,
                                   float[] tile) {
        if (two) {
            rowsWide(kc, a, ao, lda, bp, bo, tile, 0, NR);
        } else {
            rowsNarrow(kc, a, ao, lda, bp, bo, tile);
        }
    }

    private static void packedWide(int kc, float[] a, int ao, float[] bp, int bo, float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int q = 0; q < kc; q++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + q * NR);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + q * NR + L);
            int x = ao + q * MR;
            FloatVector v;
            v = FloatVector.broadcast(S, a[x]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(S, a[x + 1]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(S, a[x + 2]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(S, a[x + 3]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            if (MR >= 5) {
                v = FloatVector.broadcast(S, a[x + 4]);
                c40 = v.fma(b0, c40);
                c41 = v.fma(b1, c41);
            }
            if (MR == 8) {
                v = FloatVector.broadcast(S, a[x + 5]);
                c50 = v.fma(b0, c50);
                c51 = v.fma(b1, c51);
                v = FloatVector.broadcast(S, a[x + 6]);
                c60 = v.fma(b0, c60);
                c61 = v.fma(b1, c61);
                v = FloatVector.broadcast(S, a[x + 7]);
                c70 = v.fma(b0, c70);
                c71 = v.fma(b1, c71);
            }
        }
        // The raw sums (CpuGemm.fold with alpha 1 and beta 0); rows past MR do not exist (see the note above the
        // kernels).
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + L);
        if (MR >= 5) {
            c40.intoArray(c, ci + 4 * ldc);
            c41.intoArray(c, ci + 4 * ldc + L);
        }
        if (MR == 8) {
            c50.intoArray(c, ci + 5 * ldc);
            c51.intoArray(c, ci + 5 * ldc + L);
            c60.intoArray(c, ci + 6 * ldc);
            c61.intoArray(c, ci + 6 * ldc + L);
            c70.intoArray(c, ci + 7 * ldc);
            c71.intoArray(c, ci + 7 * ldc + L);
        }
    }

    private static void packedNarrow(int kc, float[] a, int ao, float[] bp, int bo, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        for (int q = 0; q < kc; q++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + q * L);
            int x = ao + q * MR;
            FloatVector v;
            v = FloatVector.broadcast(S, a[x]);
            c00 = v.fma(b0, c00);
            v = FloatVector.broadcast(S, a[x + 1]);
            c10 = v.fma(b0, c10);
            v = FloatVector.broadcast(S, a[x + 2]);
            c20 = v.fma(b0, c20);
            v = FloatVector.broadcast(S, a[x + 3]);
            c30 = v.fma(b0, c30);
            if (MR >= 5) {
                v = FloatVector.broadcast(S, a[x + 4]);
                c40 = v.fma(b0, c40);
            }
            if (MR == 8) {
                v = FloatVector.broadcast(S, a[x + 5]);
                c50 = v.fma(b0, c50);
                v = FloatVector.broadcast(S, a[x + 6]);
                c60 = v.fma(b0, c60);
                v = FloatVector.broadcast(S, a[x + 7]);
                c70 = v.fma(b0, c70);
            }
        }
        c00.intoArray(tile, 0 * NR);
        c10.intoArray(tile, 1 * NR);
        c20.intoArray(tile, 2 * NR);
        c30.intoArray(tile, 3 * NR);
        c40.intoArray(tile, 4 * NR);
        c50.intoArray(tile, 5 * NR);
        c60.intoArray(tile, 6 * NR);
        c70.intoArray(tile, 7 * NR);
    }

    private static void rowsWide(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] c, int ci,
                                 int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        int a0 = ao;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        for (int q = 0; q < kc; q++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + q * NR);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + q * NR + L);
            FloatVector v;
            v = FloatVector.broadcast(S, a[a0 + q]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(S, a[a1 + q]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(S, a[a2 + q]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(S, a[a3 + q]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            if (MR >= 5) {
                v = FloatVector.broadcast(S, a[a4 + q]);
                c40 = v.fma(b0, c40);
                c41 = v.fma(b1, c41);
            }
            if (MR == 8) {
                v = FloatVector.broadcast(S, a[a5 + q]);
                c50 = v.fma(b0, c50);
                c51 = v.fma(b1, c51);
                v = FloatVector.broadcast(S, a[a6 + q]);
                c60 = v.fma(b0, c60);
                c61 = v.fma(b1, c61);
                v = FloatVector.broadcast(S, a[a7 + q]);
                c70 = v.fma(b0, c70);
                c71 = v.fma(b1, c71);
            }
        }
        // The raw sums (CpuGemm.fold with alpha 1 and beta 0); rows past MR do not exist (see the note above the
        // kernels).
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, ci + ldc);
        c11.intoArray(c, ci + ldc + L);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + L);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + L);
        if (MR >= 5) {
            c40.intoArray(c, ci + 4 * ldc);
            c41.intoArray(c, ci + 4 * ldc + L);
        }
        if (MR == 8) {
            c50.intoArray(c, ci + 5 * ldc);
            c51.intoArray(c, ci + 5 * ldc + L);
            c60.intoArray(c, ci + 6 * ldc);
            c61.intoArray(c, ci + 6 * ldc + L);
            c70.intoArray(c, ci + 7 * ldc);
            c71.intoArray(c, ci + 7 * ldc + L);
        }
    }

    private static void rowsNarrow(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        int a0 = ao;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        for (int q = 0; q < kc; q++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + q * L);
            FloatVector v;
            v = FloatVector.broadcast(S, a[a0 + q]);
            c00 = v.fma(b0, c00);
            v = FloatVector.broadcast(S, a[a1 + q]);
            c10 = v.fma(b0, c10);
            v = FloatVector.broadcast(S, a[a2 + q]);
            c20 = v.fma(b0, c20);
            v = FloatVector.broadcast(S, a[a3 + q]);
            c30 = v.fma(b0, c30);
            if (MR >= 5) {
                v = FloatVector.broadcast(S, a[a4 + q]);
                c40 = v.fma(b0, c40);
            }
            if (MR == 8) {
                v = FloatVector.broadcast(S, a[a5 + q]);
                c50 = v.fma(b0, c50);
                v = FloatVector.broadcast(S, a[a6 + q]);
                c60 = v.fma(b0, c60);
                v = FloatVector.broadcast(S, a[a7 + q]);
                c70 = v.fma(b0, c70);
            }
        }
        c00.intoArray(tile, 0 * NR);
        c10.intoArray(tile, 1 * NR);
        c20.intoArray(tile, 2 * NR);
        c30.intoArray(tile, 3 * NR);
        c40.intoArray(tile, 4 * NR);
        c50.intoArray(tile, 5 * NR);
        c60.intoArray(tile, 6 * NR);
        c70.intoArray(tile, 7 * NR);
    }
}
