package dev.dendrite.backend;

/**
 * The GEMM kernels of {@code kernels/common/gemm_tiled.h} (and {@code gemm_rows.h}) that both GPU backends
 * instantiate (OpenCL in {@code kernels/opencl/gemm.cl}, CUDA in {@code kernels/cuda/gemm.cu}), and the one place
 * their launch geometry is computed: kernel names, work-group shape, grid, split over k and work space. The tile
 * numbers mirror the headers' {@code DENDRITE_GEMM_<id>_*} and {@code DENDRITE_ROWS_*} macros
 * ({@code GemmVariantTest} checks that they agree).
 *
 * <p>Every variant computes every element of C with the same operations in the same order (k in blocks of
 * {@link #K_BLOCK}, see the header and {@code CpuGemm}), so they differ in speed only: a backend may pick any of
 * them per shape, by measurement or by {@link #rule}, without changing a bit of the result.
 */
public enum GemmVariant {
    /** One work-item per element of C in 16 x 16 groups, no local memory: for products too small to tile. */
    SIMPLE("simple", 16, 16, 0, 1, 1),
    /** 64 x 64 tiles, 16 deep, 256 work-items with a 4 x 4 register block each: the general-purpose variant. */
    TILE64("tile64", 64, 64, 16, 4, 4),
    /** 128 x 128 tiles, 8 deep, 256 work-items with 8 x 8 each: for large matrices (1024 and up). */
    LARGE("large", 128, 128, 8, 8, 8),
    /**
     * 32 x 32 tiles, 16 deep, 256 work-items with 2 x 2 each, split over the k-blocks (one group layer per
     * block, then {@code gemm_fold}): for a batch of 32-256 rows times a 512-1024 wide layer, where bigger tiles
     * leave most of a GPU idle.
     */
    SMALL("small", 32, 32, 16, 2, 2),
    /**
     * At most {@link #ROWS_MAX_N} columns (an output layer's 10 classes): 8 rows of C per group of 32 x 8
     * work-items, one row per 32 and one column per work-item, the k-rows of both operands staged in local memory
     * ({@code kernels/common/gemm_rows.h}). A 64-wide tile would leave most of its work-items without a column, and
     * cuBLAS's split needs a second launch to fold. Past {@link #ROWS_MAX_N} columns it runs as {@link #rule}'s
     * variant ({@link #forShape}).
     */
    ROWS("rows", 8, 32, 0, 1, 1);

    /** The k-block of the shared arithmetic ({@code DENDRITE_GEMM_K_BLOCK}, equal to {@code CpuGemm.KC}). */
    public static final int K_BLOCK = 256;

    /**
     * The deepest product a GPU backend computes inside the kernel that consumes it, one element per thread with the
     * shared arithmetic (Backend.inputGradientActivationBackward): an output layer's input gradient (k = its 10 or so
     * units) takes less time there than the launch of a product kernel of its own.
     */
    public static final int THIN_K = 32;
    /** The widest product {@link #ROWS} takes ({@code DENDRITE_ROWS_MAX_N}). */
    public static final int ROWS_MAX_N = 32;
    /** The widest product whose k-blocks {@link #ROWS} sums two at a time ({@code DENDRITE_ROWS_TWO_BLOCKS_N}). */
    public static final int ROWS_TWO_BLOCKS_N = 15;
    /** The most row groups of a {@link #ROWS} grid (CUDA's limit on a grid's second dimension); they step down C. */
    public static final int ROWS_MAX_GROUPS = 65535;
    /** Extra floats per row of a local tile ({@code DENDRITE_GEMM_PAD}). */
    public static final int PAD = 4;
    /** Work-items per group of {@code gemm_fold}, the second pass of a split product. */
    public static final int FOLD_THREADS = 256;
    /**
     * The most work space (floats) a split product may use: {@code blocks * m * n} partial sums. 16M floats (64 MiB)
     * covers a 1024-row batch times 4096 outputs over k = 1024; larger products have tiles enough unsplit.
     */
    public static final long MAX_WORKSPACE_FLOATS = 1L << 24;

    private final String id;
    private final int tileM;
    private final int tileN;
    private final int tileK;
    private final int threadM;
    private final int threadN;

    GemmVariant(String id, int tileM, int tileN, int tileK, int threadM, int threadN) {
        this.id = id;
        this.tileM = tileM;
        this.tileN = tileN;
        this.tileK = tileK;
        this.threadM = threadM;
        this.threadN = threadN;
    }

    /** The name in kernel names, system properties and logs, e.g. {@code "tile64"}. */
    public String id() {
        return id;
    }

    /** Rows of C per work-group. */
    public int tileM() {
        return tileM;
    }

    /** Columns of C per work-group. */
    public int tileN() {
        return tileN;
    }

    /**
     * Depth of one step through local memory; 0 for {@link #SIMPLE}, which uses none, and for {@link #ROWS}, which
     * stages whole k-blocks.
     */
    public int tileK() {
        return tileK;
    }

    /** Rows of C per work-item. */
    public int threadM() {
        return threadM;
    }

    /** Columns of C per work-item. */
    public int threadN() {
        return threadN;
    }

    /** Work-items per group along dimension 0 (the columns of C). */
    public int threadsX() {
        return tileN / threadN;
    }

    /** Work-items per group along dimension 1 (the rows of C). */
    public int threadsY() {
        return tileM / threadM;
    }

    /** Work-items per group. */
    public int threads() {
        return threadsX() * threadsY();
    }

    /**
     * Local (CUDA: shared) memory of one group: the op(A) and op(B) tiles; for {@link #ROWS} its rows of op(A) and
     * k-rows of op(B), two k-blocks (and a float of padding) at a time up to {@link #ROWS_TWO_BLOCKS_N} columns,
     * one k-block up to {@link #ROWS_MAX_N} ({@code DENDRITE_ROWS_LOCAL}).
     */
    public long localBytes() {
        if (this == ROWS) {
            return 4L * Math.max((tileM + ROWS_TWO_BLOCKS_N) * (2 * K_BLOCK + 1), (tileM + ROWS_MAX_N) * K_BLOCK);
        }
        return this == SIMPLE ? 0 : 4L * tileK * (tileM + PAD + tileN + PAD);
    }

    /** Whether one kernel serves all transpose combinations, as arguments ({@link #SIMPLE}, {@link #ROWS}). */
    public boolean transposesAsArguments() {
        return this == SIMPLE || this == ROWS;
    }

    /**
     * The kernel for one transpose combination, e.g. {@code gemm_tile64_nt}; {@code gemm_simple} and
     * {@code gemm_rows} take the transpositions as arguments.
     */
    public String kernelName(boolean transA, boolean transB) {
        return transposesAsArguments() ? "gemm_" + id
                : "gemm_" + id + "_" + (transA ? "t" : "n") + (transB ? "t" : "n");
    }

    /** This variant, or where it cannot take the shape ({@link #ROWS} past {@link #ROWS_MAX_N} columns) the rule's. */
    public GemmVariant forShape(int m, int n, int k) {
        return this == ROWS && n > ROWS_MAX_N ? rule(m, n, k) : this;
    }

    /** The k-blocks of a product with inner dimension {@code k}. */
    public static int kBlocks(int k) {
        return (int) (((long) k + K_BLOCK - 1) / K_BLOCK);
    }

    /**
     * Group layers along grid dimension 2: {@link #SMALL} gives each k-block its own when there are two or more
     * and their partial sums fit in {@link #MAX_WORKSPACE_FLOATS}; 1 (no split) otherwise.
     */
    public int splits(int m, int n, int k) {
        int blocks = kBlocks(k);
        return this == SMALL && blocks > 1 && (long) blocks * m * n <= MAX_WORKSPACE_FLOATS ? blocks : 1;
    }

    /** Floats of work space a call needs: the partial sums of a split product, else 0. */
    public long workspaceFloats(int m, int n, int k) {
        int splits = splits(m, n, k);
        return splits > 1 ? (long) splits * m * n : 0;
    }

    /** The grid in groups: {column tiles, row tiles, {@link #splits}}. Work-items = groups times threads. */
    public int[] groups(int m, int n, int k) {
        int rowTiles = ceilDiv(m, tileM);
        return new int[] {ceilDiv(n, tileN), this == ROWS ? Math.min(rowTiles, ROWS_MAX_GROUPS) : rowTiles,
            splits(m, n, k)};
    }

    /** Groups of {@link #FOLD_THREADS} for {@code gemm_fold} over {@code m * n} elements. */
    public static int foldGroups(int m, int n) {
        return (int) (((long) m * n + FOLD_THREADS - 1) / FOLD_THREADS);
    }

    /**
     * Whether measuring this variant on the shape is worth it: {@link #SIMPLE} only while the product is small
     * (beyond 4M multiply-adds it loses to any tile by far), {@link #LARGE} once C holds four of its tiles,
     * {@link #SMALL} while C is at most 1024 x 1024 and its split fits the work space, {@link #ROWS} up to
     * {@link #ROWS_MAX_N} columns; {@link #TILE64} always.
     * Device limits (work-group size, local memory) are the backend's to check.
     */
    public boolean suits(int m, int n, int k) {
        switch (this) {
            case SIMPLE:
                return (long) m * n * k <= 1L << 22;
            case LARGE:
                return m >= tileM && n >= tileN && (long) m * n >= 4L * tileM * tileN;
            case SMALL:
                return (long) m * n <= 1L << 20 && (kBlocks(k) < 2 || splits(m, n, k) > 1);
            case ROWS:
                return n <= ROWS_MAX_N;
            default:
                return true;
        }
    }

    /**
     * The choice without measuring, for when a backend cannot or may not time (a shape first seen while a CUDA
     * graph is being recorded, {@code -Ddendrite.opencl.gemm=rule}): {@link #SIMPLE} below 2^18 multiply-adds or
     * with a side under 16 (the old OpenCL threshold), {@link #LARGE} from 1024 x 1024 outputs, {@link #SMALL} when
     * C has fewer than 32 tiles of 64 x 64 (too few groups to fill a GPU) and k spans several blocks, else
     * {@link #TILE64}. The thresholds are a starting point until GPU measurements replace them.
     */
    public static GemmVariant rule(int m, int n, int k) {
        if ((long) m * n * k < 1L << 18 || Math.min(m, n) < 16) {
            return SIMPLE;
        }
        if (m >= 1024 && n >= 1024) {
            return LARGE;
        }
        if ((long) ceilDiv(m, 64) * ceilDiv(n, 64) < 32 && SMALL.splits(m, n, k) > 1) {
            return SMALL;
        }
        return TILE64;
    }

    /**
     * The variant named {@code id} (case-insensitive).
     *
     * @throws IllegalArgumentException naming {@code id} and the known ones
     */
    public static GemmVariant byId(String id) {
        for (GemmVariant v : values()) {
            if (v.id.equalsIgnoreCase(id == null ? "" : id.trim())) {
                return v;
            }
        }
        StringBuilder known = new StringBuilder();
        for (GemmVariant v : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(v.id);
        }
        throw new IllegalArgumentException("unknown GEMM variant '" + id + "'; expected one of " + known);
    }

    private static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    @Override
    public String toString() {
        return id;
    }
}
