package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.GemmTuner;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.GemmOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;

/**
 * The CUDA backend's GEMM: cuBLAS or the own tiled kernels of kernels/cuda/gemm.cu ({@link GemmVariant}), the
 * faster measured per shape on its first call ({@link GemmTuner}), and the work space of split products.
 */
final class CudaGemmOps implements GemmOps {
    /** {@link #gemm}'s name for cuBLAS, beside the GemmVariant ids, in its choices and {@code -Ddendrite.cuda.gemm}. */
    private static final String GEMM_CUBLAS = "cublas";
    /**
     * cuBLAS over k split in 4, 8 or 16 ("cublas/4"): one strided-batched call writes the partial products to the
     * work space and gemm_fold adds them into C. The course's products (128 rows, k = 512 or 784) give cuBLAS's
     * own kernel only 32-64 blocks on 132 SMs, each walking all of k; split, the blocks are 4-16 times as many and
     * their loops as much shorter. A candidate like any other: the tuner keeps it only where it is faster. On an
     * H200 (2026-12-04) the splits took 0.7-3 us off products of 5-10 us, gemm_fold included; halves never won.
     */
    private static final String GEMM_CUBLAS_SPLIT = "cublas/";
    private static final int[] CUBLAS_SPLITS = {4, 8, 16};
    /** The shortest slice of k a cuBLAS split may leave each partial product. */
    private static final int MIN_SPLIT_K = 32;
    /**
     * The most floats of partial products a cuBLAS split may need (16 MiB per lane): splits pay only where C is
     * small; on wide4096's 1024 x 4096 products they lost and their work space tripled the peak device memory.
     */
    private static final long MAX_SPLIT_FLOATS = 1L << 22;
    /**
     * FP32 products on the tensor cores at FP32's accuracy ("3xTF32"): each operand split into big = tf32(x) and
     * small = tf32(x - big) (gemm_split_tf32, into the work space), then three cuBLAS TF32 products accumulated in
     * FP32 into C, the small terms first: small_A big_B + big_A small_B + big_A big_B. What is left out (small_A
     * small_B and small's own rounding) is about 2^-22 of |A| |B|, the order of FP32's rounding. The tensor cores
     * multiply TF32 at several times the FP32 units' rate, so on large products three of them and the splits can
     * beat one SGEMM: on wide4096's (1024 x 4096 x 4096), cuBLAS's SGEMM alone took 1.02x of issue 16's FP32 target.
     * A candidate like the others, offered for large FP32 products only (not under TF32, nor with
     * {@code -Ddendrite.cuda.gemm} forcing a path) and kept only where it measured fastest; its parts are timed in a
     * buffer of their own, and the lasting work space grows for them only where it is kept.
     * {@code -Ddendrite.cuda.3xtf32=false} leaves it out. Unlike SGEMM, an infinite operand (or one past TF32's
     * largest value) gives NaN rather than an infinity, since its small part is inf - inf: both are non-finite to
     * {@code checkNumerics} and {@code TerminateOnNaN}.
     */
    private static final String GEMM_3XTF32 = "cublas-3xtf32";
    /**
     * cuBLASLt's algorithms for the shape ("cublaslt/0" is its heuristic's first choice, {@link CudaLt}): FP32, or
     * TF32 under TF32, no splits of ours, the lane's cuBLAS workspace. Candidates like the others, offered wherever
     * cuBLASLt opens (not with {@code -Ddendrite.cuda.gemm} forcing a path); {@code -Ddendrite.cuda.lt=false} leaves
     * them out.
     */
    private static final String GEMM_LT = "cublaslt/";
    private static final int[] LT_ALGORITHMS = IntStream.range(0, CudaLt.ALGORITHMS).toArray();
    /**
     * A dense relu or linear layer as one cuBLASLt product with its bias and relu in the epilogue
     * ("cublaslt-epilogue/0": the heuristic's first algorithm for that epilogue), which writes y alone (the layers
     * read such an activation's derivative from y: ActivationFunction.derivativeFromOutput). On the course's
     * networks each hidden layer's product is otherwise followed by a kernel of its own (gemm_fold_bias_activation
     * or bias_activation_forward, 2.6-4.7 us each on an H200 in 2026-12-04's kernel list), on the step's critical
     * path. Chosen per layer shape and epilogue by timing the whole layer both ways ({@link #DENSE_APART} against
     * each algorithm), in a replayed graph as the products are; {@code -Ddendrite.cuda.ltEpilogue=false} leaves it
     * out.
     */
    private static final String DENSE_LT = "cublaslt-epilogue/";
    /** The layer as its product (by the shape's own path) and the kernel after it. */
    private static final String DENSE_APART = "product";
    /** {@code -Ddendrite.cuda.gemm=cublaslt}: every product on cuBLASLt's first algorithm. */
    private static final String GEMM_MODE_LT = "cublaslt";
    /** The smallest m n k the 3xTF32 candidate is offered for: below it the splits cost more than they save. */
    private static final long MIN_3XTF32_MNK = 1L << 31;
    /** The most floats of split operands (both parts of A and B) the candidate may need: 256 MiB per lane. */
    private static final long MAX_3XTF32_FLOATS = 1L << 26;
    /** Each part starts on 256 bytes, as cuBLAS's fastest kernels want their operands. */
    private static final long PART_ALIGN_FLOATS = 64;

    private final CudaContext ctx;
    /** Whether the backend records steps as CUDA graphs now: GEMM candidates are then timed inside one too. */
    private final BooleanSupplier recordsGraphs;
    /**
     * {@code -Ddendrite.cuda.gemm}: "auto" (the default) measures cuBLAS against the own FP32 kernels
     * (kernels/cuda/gemm.cu, {@link GemmVariant}) per shape and keeps the fastest; "cublas" always takes cuBLAS;
     * "cublaslt" always takes cuBLASLt's first algorithm (cuBLAS where it has none); "own" always
     * takes the own kernels (the fastest of them per shape; FP32 even when TF32 is on), for debugging and
     * benchmarks. An unknown value fails the constructor, naming it.
     */
    private final String gemmMode = gemmModeProperty(System.getProperty("dendrite.cuda.gemm"));
    private final GemmTuner<String> gemmTuner = new GemmTuner<>("cuda", CudaGemmOps::pathNamed);
    /**
     * The choices under TF32 ({@link CudaBackend#setTf32}), a table of their own: there cuBLAS, its splits and
     * cuBLASLt's TF32 algorithms compete (the own kernels and 3xTF32 are FP32 and slower), and a shape's choice in
     * one mode says nothing of the other.
     */
    private final GemmTuner<String> gemmTunerTf32 = new GemmTuner<>("cuda_tf32", CudaGemmOps::pathNamed);
    private final boolean offers3xTf32 = !"false".equals(System.getProperty("dendrite.cuda.3xtf32"));
    /**
     * {@code -Ddendrite.cuda.rows=false} leaves {@link GemmVariant#ROWS} out of the candidates (and so a softmax
     * layer's product out of its loss kernel): for A/B runs, and for finding a failing kernel by switching it off.
     */
    private final boolean offersRows = !"false".equals(System.getProperty("dendrite.cuda.rows"));
    /** {@code -Ddendrite.cuda.ltEpilogue=false}: no dense layer runs as one cuBLASLt product ({@link #DENSE_LT}). */
    private final boolean offersLtEpilogue = !"false".equals(System.getProperty("dendrite.cuda.ltEpilogue"));
    /**
     * The dense layers' choices ({@link #DENSE_APART} or a {@link #DENSE_LT} algorithm) per epilogue and mode, FP32
     * or TF32: a tuner each, whose verbose lines name it ("cuda_dense_relu_bias", "cuda_tf32_dense_bias", ...).
     */
    private final Map<Integer, GemmTuner<String>> denseTuners = denseTuners();
    /** Whether a relu epilogue turned NaN into a number yet (keepsNan; said once): for tests. */
    boolean ltReluMasksNan;
    /** A dense layer path tests force with forceDensePath, or null. */
    private String forcedDensePath;
    /** cuBLASLt ({@link #openLt()}); null where it cannot be had ({@link #ltProblem}) or after release(). */
    private CudaLt lt;
    /** Why there is no cuBLASLt, or null. */
    private String ltProblem;
    /** Products issued through cuBLASLt so far (a forced path past a shape's list runs as cuBLAS): for tests. */
    long ltProducts;
    /** Of those, the dense layers issued as one product with their epilogue ({@link #DENSE_LT}): for tests. */
    long ltEpilogues;
    /** While the tuner times the 3xTF32 candidate: the buffer its parts go to instead of the lasting work space. */
    private CUdeviceptr tuningParts;
    /** A path tests force with forceGemmPath, or null. */
    private String forcedGemmPath;
    /** Set when timing the GEMM candidates of a shape failed once: warned about once, cuBLAS used for it. */
    private boolean gemmTuningFailed;
    /**
     * Partial sums of split GEMMs, one per lane (main, side: {@link CudaSideLane}) so that products in parallel
     * graph branches never share one; grown together outside captures, see ensureGemmWorkspace.
     */
    private final CUdeviceptr[] gemmWorkspace = new CUdeviceptr[2];
    private long gemmWorkspaceBytes;

    CudaGemmOps(CudaContext ctx, BooleanSupplier recordsGraphs) {
        this.ctx = ctx;
        this.recordsGraphs = recordsGraphs;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Slice a, Slice b, float beta, Slice c) {
        CUdeviceptr pa = ptr(a);
        CUdeviceptr pb = ptr(b);
        CUdeviceptr pc = ptr(c);
        if (m == 0 || n == 0) {
            return;
        }
        try {
            if (k == 0 || alpha == 0f) {
                // C = beta * C: nothing to multiply (alpha == 0: A and B are not read, as CpuGemm does).
                // beta == 0 ignores C's contents, NaN included.
                if (beta == 0f) {
                    cuMemsetD32Async(pc, 0, (long) m * n, ctx.stream);
                } else if (beta != 1f) {
                    JCublas2.cublasSscal(ctx.cublas, m * n, Pointer.to(new float[] {beta}), pc, 1);
                }
                ctx.afterOp();
                return;
            }
            issueGemm(gemmPath(transA, transB, m, n, k, pa, pb), transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            ctx.afterOp();
        } catch (CudaException e) {
            throw ctx.fail("gemm", "transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k
                    + ", alpha=" + alpha + ", beta=" + beta, e);
        }
    }

    /**
     * The path for a shape: {@link #GEMM_CUBLAS} or another path {@link #pathNamed} accepts. Forced by
     * {@code dendrite.cuda.gemm}; else the choice measured on the shape's first call outside a capture: cuBLAS, its
     * splits, cuBLASLt's algorithms and 3xTF32 ("auto" only) and the own variants that suit the shape; under TF32
     * (unless "own" is forced: the own kernels are FP32 only) only cuBLAS, its splits and cuBLASLt's TF32
     * algorithms, in a table of their own (cuBLAS alone where cuBLASLt is missing). Each
     * timed on the real A and B into a scratch C (a host wait, once per shape; see {@link #timeGemm}). Nothing is
     * timed while a graph is being captured, which must not wait: a shape first seen then takes cuBLAS ("auto") or
     * {@link GemmVariant#rule} ("own") without being remembered, and is measured at its next call outside a capture
     * (the engine issues each step shape once before recording it).
     */
    private String gemmPath(boolean transA, boolean transB, int m, int n, int k, CUdeviceptr pa, CUdeviceptr pb) {
        if (forcedGemmPath != null) {
            return forcedGemmPath;
        }
        boolean own = gemmMode.equals("own");
        if (gemmMode.equals(GEMM_MODE_LT)) {
            return GEMM_LT + "0";
        }
        boolean tf32 = tf32Table();
        if (!gemmMode.equals("auto") && !own || tf32 && lt == null) {
            return GEMM_CUBLAS;
        }
        GemmTuner<String> tuner = tf32 ? gemmTunerTf32 : gemmTuner;
        String chosen = tuner.choice(transA, transB, m, n, k);
        if (chosen != null && (offers3xTf32 || !chosen.equals(GEMM_3XTF32)) // a choices file may name them
                && (offersRows || !chosen.equals(GemmVariant.ROWS.id()))) {
            return chosen;
        }
        GemmVariant rule = GemmVariant.rule(m, n, k);
        if (ctx.capturing) {
            if (!own) {
                return GEMM_CUBLAS;
            }
            // A split needs its work space, which cannot be allocated during a capture; TILE64 never splits.
            return 4 * rule.workspaceFloats(m, n, k) <= gemmWorkspaceBytes ? rule.id() : GemmVariant.TILE64.id();
        }
        List<String> candidates = new ArrayList<>();
        long workspace = 0;
        long parts = 0; // floats of the 3xTF32 candidate's parts, in a buffer of their own while it is timed
        if (!own) {
            candidates.add(GEMM_CUBLAS);
            for (int splits : CUBLAS_SPLITS) {
                if (k % splits == 0 && k / splits >= MIN_SPLIT_K && (long) splits * m * n <= MAX_SPLIT_FLOATS) {
                    candidates.add(GEMM_CUBLAS_SPLIT + splits);
                    workspace = Math.max(workspace, (long) splits * m * n);
                }
            }
            // Timed into the scratch C below, aligned as every allocation (null: 256 bytes, CudaLt.alignment).
            RowMajorGemm g = new RowMajorGemm(transA, transB, m, n, k);
            int algorithms = lt == null ? 0 : lt.algorithms(g, ctx.tf32, pa, pb, null);
            for (int i = 0; i < algorithms; i++) {
                candidates.add(GEMM_LT + i);
                if (GemmTuner.VERBOSE) { // which kernels the log's cublaslt/i are: split over k or not, their tiles
                    System.err.println("cuda cublaslt" + (tf32 ? " (TF32): " : ": ")
                            + GemmTuner.describe(transA, transB, m, n, k) + ": " + GEMM_LT + i + " is "
                            + lt.describe(g, ctx.tf32, pa, pb, null, i));
                }
            }
            if (!tf32 && offers3xTf32 && (long) m * n * k >= MIN_3XTF32_MNK
                    && tf32SplitFloats(m, n, k) <= MAX_3XTF32_FLOATS) {
                candidates.add(GEMM_3XTF32);
                parts = tf32SplitFloats(m, n, k);
            }
        }
        for (GemmVariant v : GemmVariant.values()) {
            if (!tf32 && (v == rule || v.suits(m, n, k)) && (offersRows || v != GemmVariant.ROWS)) {
                candidates.add(v.id());
                workspace = Math.max(workspace, v.workspaceFloats(m, n, k));
            }
        }
        ensureGemmWorkspace(4 * workspace);
        CUdeviceptr scratchC = new CUdeviceptr();
        cuMemAlloc(scratchC, 4L * m * n);
        ctx.memory.add(4L * m * n);
        try {
            if (parts > 0) {
                tuningParts = new CUdeviceptr();
                cuMemAlloc(tuningParts, 4 * parts);
                ctx.memory.add(4 * parts);
            }
            cuMemsetD32Async(scratchC, 0, (long) m * n, ctx.stream);
            String measured = tuner.tune(transA, transB, m, n, k, candidates,
                    (path, calls) -> timeGemm(() -> {
                        for (int i = 0; i < calls; i++) {
                            issueGemm(path, transA, transB, m, n, k, 1f, pa, pb, 0f, scratchC);
                        }
                    }));
            if (measured.equals(GEMM_3XTF32)) {
                ensureGemmWorkspace(4 * parts); // kept: its parts now go to the lane's work space
            }
            return measured;
        } catch (CudaException e) {
            if (own) {
                throw e; // forced: a failing own kernel is what the caller wants to see
            }
            // Choosing must not stop training: a candidate the driver refuses (or a timing capture it rejects)
            // leaves the shape on cuBLAS, the path that ran before the own kernels existed.
            if (!gemmTuningFailed) {
                gemmTuningFailed = true;
                System.err.println("cuda: timing the GEMM kernels for " + GemmTuner.describe(transA, transB, m, n, k)
                        + " failed (" + e.getMessage() + "); that shape, and any whose timing fails, uses cuBLAS");
            }
            tuner.remember(transA, transB, m, n, k, GEMM_CUBLAS);
            return GEMM_CUBLAS;
        } finally {
            cuStreamSynchronize(ctx.stream);
            cuMemFree(scratchC);
            ctx.memory.add(-4L * m * n);
            if (tuningParts != null) {
                cuMemFree(tuningParts);
                ctx.memory.add(-4 * parts);
                tuningParts = null;
            }
        }
    }

    /**
     * Seconds the device takes for what {@code products} issues, measured with CUDA events the way a training step
     * will run it: recorded into a graph and replayed (launched once untimed first, which uploads it), so that
     * only the kernels and the gaps between them inside a graph count, not Java's ~10 us per launch, which would
     * make every microsecond kernel look alike and a two-launch split product twice as slow. When capture() issues
     * steps op by op instead ({@code -Ddendrite.cuda.graphs=false} or {@code sync}, or after the driver refused a
     * graph) the products are issued and timed directly, as training then issues them. The temporary graph goes
     * straight through the driver, so {@link #graphLaunches()} does not count it.
     */
    private double timeGemm(Runnable products) {
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
        CUgraph graph = null;
        CUgraphExec exec = null;
        try {
            if (recordsGraphs.getAsBoolean()) {
                CUgraph recorded = new CUgraph();
                cuStreamBeginCapture(ctx.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
                ctx.capturing = true; // nothing may wait or allocate meanwhile, as in a real capture
                try {
                    products.run();
                } finally {
                    ctx.capturing = false;
                    cuStreamEndCapture(ctx.stream, recorded);
                }
                graph = recorded;
                CUgraphExec instance = new CUgraphExec();
                cuGraphInstantiate(instance, graph, 0L);
                exec = instance;
                cuGraphLaunch(exec, ctx.stream);
                cuEventRecord(start, ctx.stream);
                cuGraphLaunch(exec, ctx.stream);
            } else {
                cuEventRecord(start, ctx.stream);
                products.run();
            }
            cuEventRecord(stop, ctx.stream);
            cuEventSynchronize(stop);
            float[] ms = new float[1];
            cuEventElapsedTime(ms, start, stop);
            return ms[0] * 1e-3;
        } finally {
            if (exec != null) {
                cuGraphExecDestroy(exec);
            }
            if (graph != null) {
                cuGraphDestroy(graph);
            }
            cuEventDestroy(start);
            cuEventDestroy(stop);
        }
    }

    /** Issues one product on the stream by {@code path} (see {@link #gemmPath}). */
    private void issueGemm(String path, boolean transA, boolean transB, int m, int n, int k, float alpha,
                           CUdeviceptr pa, CUdeviceptr pb, float beta, CUdeviceptr pc) {
        if (path.equals(GEMM_CUBLAS)) {
            // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T (see RowMajorGemm).
            RowMajorGemm g = new RowMajorGemm(transA, transB, m, n, k);
            JCublas2.cublasSgemm(ctx.cublas, g.transa, g.transb, g.m, g.n, g.k, Pointer.to(new float[] {alpha}),
                    pb, g.lda, pa, g.ldb, Pointer.to(new float[] {beta}), pc, g.ldc);
            return;
        }
        int algorithm = ltAlgorithm(path);
        if (algorithm >= 0) {
            // Past the plan's list, cuBLAS: a choices file from another machine, no cuBLASLt here, operands less
            // aligned than those the path was timed with (CudaLt.plan), or no plan yet during a capture.
            if (lt != null && lt.matmul(new RowMajorGemm(transA, transB, m, n, k), ctx.tf32, algorithm, alpha, pa, pb,
                    beta, pc, ctx.laneWorkspace(), ctx.stream, !ctx.capturing)) {
                ltProducts++;
            } else {
                issueGemm(GEMM_CUBLAS, transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            }
            return;
        }
        if (path.equals(GEMM_3XTF32)) {
            issue3xTf32(transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            return;
        }
        int slices = cublasSplits(path);
        if (slices > 0) {
            if (k % slices == 0) {
                issueCublasSplit(slices, transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            } else { // only when forced: the tuner offers a split only where it divides k
                issueGemm(GEMM_CUBLAS, transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            }
            return;
        }
        // The twin of OpenClBackend.enqueueGemm: the same kernels, groups and second pass.
        GemmVariant v = GemmVariant.byId(path).forShape(m, n, k);
        int[] groups = v.groups(m, n, k);
        if (v.transposesAsArguments()) {
            CudaKernel kernel = v == GemmVariant.ROWS ? CudaKernel.GEMM_ROWS : CudaKernel.GEMM_SIMPLE;
            ctx.launchGrid(kernel, groups[0], groups[1], 1, v.threadsX(), v.threadsY(), transA ? 1 : 0, transB ? 1 : 0,
                    m, n, k, alpha, pa, pb, beta, pc);
            return;
        }
        int splits = groups[2];
        ensureGemmWorkspace(4 * v.workspaceFloats(m, n, k));
        CUdeviceptr pw = splits > 1 ? gemmWorkspace[ctx.side.index()] : null;
        CudaKernel tiled = CudaKernel.gemm(v, transA, transB);
        ctx.launchGrid(tiled, groups[0], groups[1], splits, v.threadsX(), v.threadsY(), m, n, k, alpha, pa, pb, beta,
                pc,
                pw);
        if (splits > 1) {
            ctx.launch(CudaKernel.GEMM_FOLD, GemmVariant.foldGroups(m, n), GemmVariant.FOLD_THREADS, 1, 0, m * n,
                    splits,
                    alpha, pw, beta, pc);
        }
    }

    /**
     * Opens cuBLASLt once the context is current, its products to use the lanes' cuBLAS workspaces; where it cannot
     * be had, {@link #ltStatus()} says why.
     */
    void openLt() {
        String[] problem = new String[1];
        lt = CudaLt.open(problem, ctx.cublasWorkspaceBytes());
        ltProblem = problem[0];
    }

    /** For the backend's description: "cuBLASLt", or why not. */
    String ltStatus() {
        return lt != null ? "cuBLASLt" : "no cuBLASLt (" + ltProblem + ")";
    }

    /** Frees cuBLASLt's handle and plans (host memory of the library); the backend closes. */
    void release() {
        if (lt != null) {
            CudaLt open = lt;
            lt = null;
            open.close();
        }
    }

    /** Floats of the two TF32 parts of both operands of an m x k by k x n product ({@link #GEMM_3XTF32}). */
    private static long tf32SplitFloats(int m, int n, int k) {
        return 2 * (alignedPart((long) m * k) + alignedPart((long) k * n));
    }

    private static long alignedPart(long floats) {
        return (floats + PART_ALIGN_FLOATS - 1) / PART_ALIGN_FLOATS * PART_ALIGN_FLOATS;
    }

    /** C = alpha op(A) op(B) + beta C as three TF32 products of the operands' parts ({@link #GEMM_3XTF32}). */
    private void issue3xTf32(boolean transA, boolean transB, int m, int n, int k, float alpha, CUdeviceptr pa,
                             CUdeviceptr pb, float beta, CUdeviceptr pc) {
        if (tf32SplitFloats(m, n, k) > MAX_3XTF32_FLOATS) { // only when forced: the tuner offers it within the cap
            issueGemm(GEMM_CUBLAS, transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            return;
        }
        if (tuningParts == null) {
            ensureGemmWorkspace(4 * tf32SplitFloats(m, n, k));
        }
        long aPart = alignedPart((long) m * k);
        long bPart = alignedPart((long) k * n);
        CUdeviceptr aBig = tuningParts != null ? tuningParts : gemmWorkspace[ctx.side.index()];
        CUdeviceptr aSmall = aBig.withByteOffset(4 * aPart);
        CUdeviceptr bBig = aBig.withByteOffset(8 * aPart);
        CUdeviceptr bSmall = aBig.withByteOffset(8 * aPart + 4 * bPart);
        splitTf32(pa, aBig, aSmall, m * k); // within the cap, so an int
        splitTf32(pb, bBig, bSmall, k * n);
        RowMajorGemm g = new RowMajorGemm(transA, transB, m, n, k);
        tf32Product(g, alpha, aSmall, bBig, beta, pc); // beta 0 ignores C's contents, NaN included, as SGEMM does
        tf32Product(g, alpha, aBig, bSmall, 1f, pc);
        tf32Product(g, alpha, aBig, bBig, 1f, pc);
    }

    private void splitTf32(CUdeviceptr whole, CUdeviceptr big, CUdeviceptr small, int count) {
        ctx.launch(CudaKernel.GEMM_SPLIT_TF32, ctx.elementGrid(count), CudaContext.BLOCK, 1, 0, whole, big, small,
                count);
    }

    /**
     * One TF32 product of row-major parts (column-major for cuBLAS: B first, see RowMajorGemm). Through
     * {@code cublasGemmEx_new}: JCublas2's {@code cublasGemmEx} takes its compute type as CUDA 10's data type
     * (CUDA_R_32F and the like), answers any other with CUBLAS_STATUS_NOT_SUPPORTED without calling cuBLAS, and
     * returns that status instead of throwing, so the product was silently never made (found by native/emulator).
     */
    private void tf32Product(RowMajorGemm g, float alpha, CUdeviceptr aPart, CUdeviceptr bPart, float beta,
                             CUdeviceptr pc) {
        JCublas2.cublasGemmEx_new(ctx.cublas, g.transa, g.transb, g.m, g.n, g.k, Pointer.to(new float[] {alpha}), bPart,
                cudaDataType.CUDA_R_32F, g.lda, aPart, cudaDataType.CUDA_R_32F, g.ldb, Pointer.to(new float[] {beta}),
                pc, cudaDataType.CUDA_R_32F, g.ldc, cublasComputeType.CUBLAS_COMPUTE_32F_FAST_TF32,
                cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
    }

    /**
     * {@link CudaBackend#denseForward} when the product's path is a cuBLAS split that divides k: the partial
     * products, then gemm_fold_bias_activation, which folds them straight into z and y; one kernel instead of
     * gemm_fold and bias_activation_forward (or softmax_forward: gemm_fold_bias_softmax), the same bits. Returns
     * false, having issued nothing, for any other path, so that the caller issues the two ops.
     */
    boolean foldsIntoActivation(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                float alpha, Slice z, Slice y) {
        return foldsIntoActivation(x, w, bias, rows, k, n, f, alpha, z, y, null, 0f, 0L, 0, null);
    }

    /**
     * {@link CudaBackend#denseForward} for {@code y = f(x w + bias)} with {@code f} relu or linear: where the layer's
     * measured choice is one cuBLASLt product with the bias and relu in its epilogue ({@link #DENSE_LT}), issues it
     * into {@code y} (z is left unwritten, as Backend.denseForward allows for these activations) and returns true;
     * otherwise returns false having issued nothing, and the caller issues {@code apart}, the layer's other way
     * (its product, then the kernel after it). A new layer shape is timed both ways first, {@code apart} into the
     * layer's own outputs, which it then overwrites; never during a capture, where a shape not chosen yet runs
     * apart. Not offered for a bias that is not 16-byte aligned (cuBLASLt documents no bias alignment; its
     * vector-loading kernels need that much of the matrices), a forced GEMM path or mode other than cublaslt, or
     * without cuBLASLt. The caller keeps y apart from x, w and the bias (cuBLASLt's output must not overlap them).
     */
    boolean denseEpilogue(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f, Slice y,
                          Runnable apart) {
        int epilogue = epilogueFor(f, bias != null);
        if (epilogue == 0 || lt == null || rows == 0 || n == 0 || k == 0 || !offersLtEpilogue
                || bias != null && CudaLt.alignment(ptr(bias)) < 16) {
            return false;
        }
        String path = forcedDensePath;
        if (path == null && forcedGemmPath == null) {
            path = gemmMode.equals(GEMM_MODE_LT) ? DENSE_LT + "0"
                    : gemmMode.equals("auto") ? densePath(x, w, bias, rows, k, n, epilogue, y, apart) : null;
        }
        int algorithm = path == null ? -1 : numberAfter(DENSE_LT, path, LT_ALGORITHMS);
        try {
            if (algorithm < 0 || !issueDenseLt(algorithm, x, w, bias, rows, k, n, epilogue, y)) {
                return false;
            }
            ctx.afterOp();
            return true;
        } catch (CudaException e) {
            throw ctx.fail("denseForward", "rows=" + rows + ", k=" + k + ", n=" + n + ", " + f + " in cuBLASLt's "
                    + "epilogue", e);
        }
    }

    /**
     * The layer's path ({@link #DENSE_APART} or a {@link #DENSE_LT} algorithm), measured on its first call outside a
     * capture (after its product's own path, which {@code apart} takes); null during a capture before that.
     */
    private String densePath(Slice x, Slice w, Slice bias, int rows, int k, int n, int epilogue, Slice y,
                             Runnable apart) {
        boolean tf32 = tf32Table();
        GemmTuner<String> tuner = denseTuners.get(epilogue * 2 + (tf32 ? 1 : 0));
        String chosen = tuner.choice(false, false, rows, n, k);
        if (chosen != null || ctx.capturing) {
            return chosen;
        }
        CUdeviceptr px = ptr(x);
        CUdeviceptr pw = ptr(w);
        CUdeviceptr py = ptr(y);
        CUdeviceptr pbias = bias == null ? null : ptr(bias);
        try {
            gemmPath(false, false, rows, n, k, px, pw); // the product's own choice first: apart takes it
            RowMajorGemm g = new RowMajorGemm(false, false, rows, n, k);
            int algorithms = lt.algorithms(g, ctx.tf32, epilogue, px, pw, py, pbias);
            List<String> candidates = new ArrayList<>();
            candidates.add(DENSE_APART);
            for (int i = 0; i < algorithms; i++) {
                if (!keepsNan(i, x, w, bias, rows, k, n, epilogue, y)) {
                    continue;
                }
                candidates.add(DENSE_LT + i);
                if (GemmTuner.VERBOSE) {
                    System.err.println("cuda cublaslt" + (tf32 ? " (TF32)" : "") + " dense " + epilogueName(epilogue)
                            + ": " + GemmTuner.describe(false, false, rows, n, k) + ": " + DENSE_LT + i + " is "
                            + lt.describe(g, ctx.tf32, epilogue, px, pw, py, pbias, i));
                }
            }
            if (candidates.size() == 1) {
                tuner.remember(false, false, rows, n, k, DENSE_APART);
                return DENSE_APART;
            }
            return tuner.tune(false, false, rows, n, k, candidates, (path, calls) -> timeGemm(() -> {
                for (int i = 0; i < calls; i++) {
                    if (path.equals(DENSE_APART)) {
                        apart.run();
                    } else {
                        issueDenseLt(numberAfter(DENSE_LT, path, LT_ALGORITHMS), x, w, bias, rows, k, n, epilogue, y);
                    }
                }
            }));
        } catch (CudaException e) {
            // As for the products: choosing must not stop training; the layer keeps the path it had before.
            if (!gemmTuningFailed) {
                gemmTuningFailed = true;
                System.err.println("cuda: timing the dense layer " + GemmTuner.describe(false, false, rows, n, k)
                        + " with cuBLASLt's epilogue " + epilogueName(epilogue) + " failed (" + e.getMessage()
                        + "); that layer, and any whose timing fails, runs its product and the kernel after it");
            }
            tuner.remember(false, false, rows, n, k, DENSE_APART);
            return DENSE_APART;
        } finally {
            cuStreamSynchronize(ctx.stream);
        }
    }

    /**
     * Whether cuBLASLt's algorithm {@code algorithm} of a relu epilogue gives NaN for a NaN sum, as the backend's own
     * relu does (true for the other epilogues): cuBLASLt does not document it, and a relu computed as fmaxf(v, 0)
     * would turn NaN into 0, so that a diverged layer (or NaN in the data) no longer reaches the loss, where
     * TerminateOnNaN and the history show it. Run once per layer shape and algorithm before it is timed, outside a
     * capture: x full of NaN (in scratch memory aligned as x and y, so the same plan serves) through the layer's
     * weights and bias. An algorithm that turns NaN into anything else is not offered (said once).
     */
    private boolean keepsNan(int algorithm, Slice x, Slice w, Slice bias, int rows, int k, int n, int epilogue,
                             Slice y) {
        if (epilogue != CudaLt.EPILOGUE_RELU && epilogue != CudaLt.EPILOGUE_RELU_BIAS) {
            return true;
        }
        long xFloats = (long) rows * k;
        long yFloats = (long) rows * n;
        CUdeviceptr xs = new CUdeviceptr();
        long bytes = 4 * (xFloats + yFloats) + 2 * 256;
        cuMemAlloc(xs, bytes); // every allocation starts on 256 bytes: offset as x and y lie within theirs
        ctx.memory.add(bytes);
        try {
            CUdeviceptr xNan = xs.withByteOffset(CudaLaunchEx.address(ptr(x)) % 256);
            long yStart = 4 * xFloats + 256;
            CUdeviceptr yOut = xs.withByteOffset(yStart + CudaLaunchEx.address(ptr(y)) % 256);
            cuMemsetD32Async(xNan, Float.floatToRawIntBits(Float.NaN), xFloats, ctx.stream);
            boolean ran = lt.matmul(new RowMajorGemm(false, false, rows, n, k), ctx.tf32, epilogue, algorithm, 1f, xNan,
                    ptr(w), 0f, yOut, bias == null ? null : ptr(bias), ctx.laneWorkspace(), ctx.stream, true);
            if (!ran) {
                return false;
            }
            float[] got = new float[(int) Math.min(yFloats, 4096)];
            cuStreamSynchronize(ctx.stream);
            cuMemcpyDtoH(Pointer.to(got), yOut, 4L * got.length);
            for (float v : got) {
                if (!Float.isNaN(v)) {
                    if (!ltReluMasksNan) {
                        ltReluMasksNan = true;
                        System.err.println("cuda: cuBLASLt's relu epilogue (" + DENSE_LT + algorithm + ", "
                                + GemmTuner.describe(false, false, rows, n, k) + ") turned a NaN sum into " + v
                                + ", where the backend's relu keeps NaN; such algorithms are not offered, and those"
                                + " layers keep their product and relu kernel");
                    }
                    return false;
                }
            }
            return true;
        } finally {
            cuMemFree(xs);
            ctx.memory.add(-bytes);
        }
    }

    /**
     * y = epilogue(x w) by cuBLASLt's algorithm {@code algorithm} for that epilogue; false, having issued nothing,
     * where its plan has no such algorithm or there is no plan yet during a capture.
     */
    private boolean issueDenseLt(int algorithm, Slice x, Slice w, Slice bias, int rows, int k, int n, int epilogue,
                                 Slice y) {
        boolean issued = lt.matmul(new RowMajorGemm(false, false, rows, n, k), ctx.tf32, epilogue, algorithm, 1f,
                ptr(x), ptr(w), 0f, ptr(y), bias == null ? null : ptr(bias), ctx.laneWorkspace(), ctx.stream,
                !ctx.capturing);
        if (issued) {
            ltProducts++;
            ltEpilogues++;
        }
        return issued;
    }

    /**
     * A tuner per epilogue and mode (key: epilogue * 2, plus 1 under TF32), each made now, so that each takes its lines
     * of {@code -Ddendrite.gemm.choices} as the backend is made.
     */
    private static Map<Integer, GemmTuner<String>> denseTuners() {
        Map<Integer, GemmTuner<String>> tuners = new HashMap<>();
        for (int epilogue : new int[] {CudaLt.EPILOGUE_DEFAULT, CudaLt.EPILOGUE_RELU, CudaLt.EPILOGUE_BIAS,
                CudaLt.EPILOGUE_RELU_BIAS}) {
            for (boolean tf32 : new boolean[] {false, true}) {
                tuners.put(epilogue * 2 + (tf32 ? 1 : 0), new GemmTuner<>((tf32 ? "cuda_tf32_dense_" : "cuda_dense_")
                        + epilogueName(epilogue), CudaGemmOps::densePathNamed));
            }
        }
        return tuners;
    }

    /**
     * The path measured (or read from a choices file) for a dense layer of activation {@code f}, with a bias or not,
     * in the mode the backend is in now: "product" or a "cublaslt-epilogue/" algorithm; null before that, or for an
     * activation no epilogue serves.
     */
    String denseChoice(ActivationFunction f, boolean bias, int rows, int k, int n) {
        int epilogue = epilogueFor(f, bias);
        return epilogue == 0 ? null : denseTuners.get(epilogue * 2 + (tf32Table() ? 1 : 0)).choice(false, false, rows,
                n, k);
    }

    /** The cuBLASLt epilogue for {@code f} with a bias or not: relu's or none's, with the bias or without; else 0. */
    private static int epilogueFor(ActivationFunction f, boolean bias) {
        return f == ActivationFunction.RELU ? (bias ? CudaLt.EPILOGUE_RELU_BIAS : CudaLt.EPILOGUE_RELU)
                : f == ActivationFunction.LINEAR ? (bias ? CudaLt.EPILOGUE_BIAS : CudaLt.EPILOGUE_DEFAULT) : 0;
    }

    private static String epilogueName(int epilogue) {
        return switch (epilogue) {
            case CudaLt.EPILOGUE_RELU_BIAS -> "relu_bias";
            case CudaLt.EPILOGUE_RELU -> "relu";
            case CudaLt.EPILOGUE_BIAS -> "bias";
            default -> "linear";
        };
    }

    /** A dense layer path by name: {@link #DENSE_APART} or a {@link #DENSE_LT} algorithm; anything else is rejected. */
    private static String densePathNamed(String path) {
        if (path.equals(DENSE_APART) || numberAfter(DENSE_LT, path, LT_ALGORITHMS) >= 0) {
            return path;
        }
        throw new IllegalArgumentException("dense layer path " + path + ": expected " + DENSE_APART + " or "
                + DENSE_LT + "0 to " + DENSE_LT + (CudaLt.ALGORITHMS - 1));
    }

    /**
     * Makes every following dense relu or linear layer take {@code path} ({@link #DENSE_APART}, or a
     * {@link #DENSE_LT} algorithm, which runs apart where the layer's plan lacks it; null: choose per layer again).
     */
    void forceDensePath(String path) {
        forcedDensePath = path == null ? null : densePathNamed(path);
    }

    /**
     * For a dense layer {@code x w} whose product's path is a cuBLAS split that divides k: issues the partial
     * products and returns their work space, with the number of splits in {@code splitsOut[0]}; otherwise null,
     * having issued nothing (CudaBackend's denseSoftmaxCrossEntropy and denseBatchNormForward, whose kernels fold
     * them).
     */
    CUdeviceptr splitPartials(Slice x, Slice w, int rows, int k, int n, int[] splitsOut) {
        if (rows == 0 || n == 0 || k == 0) {
            return null;
        }
        CUdeviceptr px = ptr(x);
        CUdeviceptr pw = ptr(w);
        try {
            return issuedSplit(gemmPath(false, false, rows, n, k, px, pw), false, rows, n, k, px, pw, splitsOut);
        } catch (CudaException e) {
            throw ctx.fail("a dense layer's split product", "rows=" + rows + ", k=" + k + ", n=" + n, e);
        }
    }

    /**
     * Whether a dense layer's product {@code x w} ({@code rows x k} times {@code k x n}) takes
     * {@link GemmVariant#ROWS} (measuring the shape first if it is new, as {@link #gemm} would): a softmax layer then
     * computes it inside its loss kernel (softmax_forward_xent_rows), with the same bits. Issues nothing.
     */
    boolean takesRows(Slice x, Slice w, int rows, int k, int n) {
        if (rows == 0 || n == 0 || k == 0 || n > GemmVariant.ROWS_MAX_N) {
            return false;
        }
        try {
            return gemmPath(false, false, rows, n, k, ptr(x), ptr(w)).equals(GemmVariant.ROWS.id());
        } catch (CudaException e) {
            throw ctx.fail("a dense layer's product", "rows=" + rows + ", k=" + k + ", n=" + n, e);
        }
    }

    /**
     * Where {@code path}, that of {@code a op(b)}, is a cuBLAS split that divides k: issues the partial products and
     * returns their work space, with the number of splits in {@code splitsOut[0]}; otherwise null, having issued
     * nothing.
     */
    private CUdeviceptr issuedSplit(String path, boolean transB, int m, int n, int k, CUdeviceptr pa, CUdeviceptr pb,
                                    int[] splitsOut) {
        int splits = cublasSplits(path);
        if (splits == 0 || k % splits != 0) {
            return null;
        }
        splitsOut[0] = splits;
        return issueSplitProducts(splits, false, transB, m, n, k, pa, pb);
    }

    /**
     * For {@code a b^T} ({@code a} {@code m x k}, {@code b} {@code n x k}), the input gradient that
     * Backend.inputGradientActivationBackward computes inside activation_backward_bias, where the shape's path lets
     * that kernel give the same bits: a cuBLAS split that divides k (issues the partial products and returns their
     * work space, with the number of splits in {@code splitsOut[0]}), or a thin product (k at most
     * {@link GemmVariant#THIN_K}) on one of the own kernels, whose arithmetic the kernel repeats per element (returns
     * null, {@code splitsOut[0] = 0}). Any other path: null and {@code splitsOut[0] = -1}, having issued nothing.
     */
    CUdeviceptr inputGradientForActivation(Slice a, Slice b, int m, int n, int k, int[] splitsOut) {
        splitsOut[0] = -1;
        if (m == 0 || n == 0 || k == 0) {
            return null;
        }
        CUdeviceptr pa = ptr(a);
        CUdeviceptr pb = ptr(b);
        try {
            String path = gemmPath(false, true, m, n, k, pa, pb);
            CUdeviceptr partials = issuedSplit(path, true, m, n, k, pa, pb, splitsOut);
            if (partials != null) {
                return partials;
            }
            if (k <= GemmVariant.THIN_K && !path.startsWith(GEMM_CUBLAS)) {
                splitsOut[0] = 0;
            }
            return null;
        } catch (CudaException e) {
            throw ctx.fail("inputGradientActivationBackward", "m=" + m + ", n=" + n + ", k=" + k, e);
        }
    }

    /**
     * The same, with a Dropout after the layer when {@code counters} is non-null ({@code f} element-wise): the
     * output dropped into {@code yDropped} as well (CudaBackend's denseDropoutForward).
     */
    boolean foldsIntoActivation(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                float alpha, Slice z, Slice y, Slice yDropped, float rate, long seed, int stream,
                                Slice counters) {
        if (counters != null && f == ActivationFunction.SOFTMAX) {
            return false;
        }
        int[] splitsOut = {0};
        CUdeviceptr partials = splitPartials(x, w, rows, k, n, splitsOut);
        if (partials == null) {
            return false;
        }
        int splits = splitsOut[0];
        try {
            if (f == ActivationFunction.SOFTMAX) {
                ctx.launch(CudaKernel.GEMM_FOLD_BIAS_SOFTMAX, ctx.rowGrid(rows, false), CudaContext.BLOCK, 1, 0, rows,
                        n, splits, partials, ptr(bias), ptr(z), ptr(y));
                return true;
            }
            ctx.launch(CudaKernel.GEMM_FOLD_BIAS_ACTIVATION, GemmVariant.foldGroups(rows, n), GemmVariant.FOLD_THREADS,
                    1, 0, rows * n, splits, partials, ptr(bias), n, activationCode(f), alpha, ptr(z), ptr(y),
                    ptr(yDropped), rate, (int) seed, (int) (seed >>> 32), stream, ptr(counters));
            return true;
        } catch (CudaException e) {
            throw ctx.fail("denseForward", "rows=" + rows + ", k=" + k + ", n=" + n + ", " + f, e);
        }
    }

    /**
     * {@link #GEMM_CUBLAS_SPLIT}: partial product p is op(A) op(B) over k in [p k/splits, (p+1) k/splits), one
     * batch entry of cublasSgemmStridedBatched written to w[p][m][n] (the layout gemm_fold reads); the leading
     * dimensions stay the whole matrices' (RowMajorGemm for the full k), and a slice of k starts k/splits columns
     * further along a row of A (or B^T) and k/splits rows further down A^T (or B).
     */
    private void issueCublasSplit(int splits, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                  CUdeviceptr pa, CUdeviceptr pb, float beta, CUdeviceptr pc) {
        CUdeviceptr pw = issueSplitProducts(splits, transA, transB, m, n, k, pa, pb);
        ctx.launch(CudaKernel.GEMM_FOLD, GemmVariant.foldGroups(m, n), GemmVariant.FOLD_THREADS, 1, 0, m * n, splits,
                alpha, pw, beta, pc);
    }

    /** The partial products of {@link #issueCublasSplit} into this lane's work space, which it returns. */
    private CUdeviceptr issueSplitProducts(int splits, boolean transA, boolean transB, int m, int n, int k,
                                           CUdeviceptr pa, CUdeviceptr pb) {
        ensureGemmWorkspace(4L * splits * m * n);
        CUdeviceptr pw = gemmWorkspace[ctx.side.index()];
        RowMajorGemm g = new RowMajorGemm(transA, transB, m, n, k);
        int slice = k / splits;
        long strideB = transB ? slice : (long) slice * n; // cuBLAS's first operand is our B
        long strideA = transA ? (long) slice * m : slice;
        JCublas2.cublasSgemmStridedBatched(ctx.cublas, g.transa, g.transb, g.m, g.n, slice,
                Pointer.to(new float[] {1f}), pb, g.lda, strideB, pa, g.ldb, strideA, Pointer.to(new float[] {0f}), pw,
                g.ldc, (long) m * n, splits);
        return pw;
    }

    /**
     * Grows the GEMM work space to at least {@code bytes}. Every work space ever allocated stays in
     * the context's retired list until the backend closes, because a captured graph may still use it.
     *
     * @throws IllegalStateException when it would have to grow during a capture (gemmPath prevents that)
     */
    private void ensureGemmWorkspace(long bytes) {
        if (bytes <= gemmWorkspaceBytes) {
            return;
        }
        if (ctx.capturing) {
            throw new IllegalStateException("cuda gemm: the work space would have to grow from " + gemmWorkspaceBytes
                    + " to " + bytes + " bytes during a graph capture");
        }
        long size = Math.max(bytes, 2 * gemmWorkspaceBytes);
        for (int lane = 0; lane < gemmWorkspace.length; lane++) {
            CUdeviceptr grown = new CUdeviceptr();
            cuMemAlloc(grown, size);
            ctx.memory.add(size);
            ctx.retired.add(grown);
            gemmWorkspace[lane] = grown;
        }
        gemmWorkspaceBytes = size;
    }

    /**
     * Makes every following {@link #gemm} take {@code path} ("cublas", "cublas-3xtf32", a cuBLAS split, a cuBLASLt
     * algorithm or a GemmVariant id; null: choose per shape again), so that tests can check each variant whatever the
     * choice would be. A cuBLASLt algorithm the shape does not have runs as cuBLAS.
     */
    void forceGemmPath(String path) {
        forcedGemmPath = path == null ? null : pathNamed(path);
    }

    /**
     * A GEMM path by name: "cublas", "cublas-3xtf32", a cuBLAS split ("cublas/4"), a cuBLASLt algorithm
     * ("cublaslt/0") or a GemmVariant id; anything else is rejected, naming it.
     */
    private static String pathNamed(String path) {
        return path.equals(GEMM_CUBLAS) || path.equals(GEMM_3XTF32) || cublasSplits(path) > 0 || ltAlgorithm(path) >= 0
                ? path : GemmVariant.byId(path).id();
    }

    /** The cuBLASLt algorithm a {@link #GEMM_LT} path names (0 to CudaLt.ALGORITHMS - 1); -1 for any other path. */
    private static int ltAlgorithm(String path) {
        return numberAfter(GEMM_LT, path, LT_ALGORITHMS);
    }

    /** The slices of k a {@link #GEMM_CUBLAS_SPLIT} path cuts the product into; 0 for any other path. */
    private static int cublasSplits(String path) {
        return Math.max(0, numberAfter(GEMM_CUBLAS_SPLIT, path, CUBLAS_SPLITS));
    }

    /**
     * The number after {@code prefix} in {@code path}, one of {@code allowed}; -1 where the path does not start with
     * the prefix.
     *
     * @throws IllegalArgumentException for any other number after it, naming the ones allowed
     */
    private static int numberAfter(String prefix, String path, int[] allowed) {
        if (!path.startsWith(prefix)) {
            return -1;
        }
        String number = path.substring(prefix.length());
        StringJoiner expected = new StringJoiner(", ");
        for (int a : allowed) {
            if (number.equals(Integer.toString(a))) {
                return a;
            }
            expected.add(prefix + a);
        }
        throw new IllegalArgumentException("gemm path " + path + ": expected one of " + expected);
    }

    /**
     * The path {@link #gemm} measured for a shape in the mode it is in now, FP32 or TF32 (a path name as
     * forceGemmPath takes it), or null before that.
     */
    String gemmChoice(boolean transA, boolean transB, int m, int n, int k) {
        return (tf32Table() ? gemmTunerTf32 : gemmTuner).choice(transA, transB, m, n, k);
    }

    /** Whether shapes are chosen in the TF32 table now: under TF32, unless "own" runs the own FP32 kernels anyway. */
    private boolean tf32Table() {
        return ctx.tf32 && !gemmMode.equals("own");
    }

    /** {@code dendrite.cuda.gemm}: auto (the default), cublas, cublaslt or own. */
    private static String gemmModeProperty(String value) {
        String mode = value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        if (!List.of("auto", GEMM_CUBLAS, GEMM_MODE_LT, "own").contains(mode)) {
            throw new IllegalArgumentException("-Ddendrite.cuda.gemm=" + value
                    + " is not auto, cublas, cublaslt or own");
        }
        return mode;
    }
}
