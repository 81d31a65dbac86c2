package dev.dendrite.backend.cuda;

import java.util.HashMap;
import java.util.Map;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * FP32 products through cuBLASLt (TF32 ones under {@link CudaBackend#setTf32}), as GEMM tuner candidates beside cuBLAS
 * ({@link CudaGemmOps}): cuBLAS's SGEMM runs
 * the one algorithm its heuristic picks for a shape, while cuBLASLt's heuristic offers several (other tile shapes,
 * split-k with the reduction inside the kernel), and at the course's small products (M = 64-128, 4-10 us each on an
 * H200) the first pick need not be the fastest. The tuner times each offered algorithm as it times cuBLAS, in a
 * replayed graph, and keeps the fastest path; a path names its algorithm by its place in the heuristic's list
 * ({@code cublaslt/0} is the heuristic's first choice), which is stable for one library and device. A plan may also
 * carry an epilogue (relu, a bias, or both after the product): a dense relu or linear layer in one launch
 * ({@code CudaGemmOps.denseEpilogue}, {@code cublaslt-epilogue/0}, ...).
 *
 * <p>One instance per backend: the cuBLASLt handle and each shape's plan (descriptors and algorithms, native memory
 * of the library), freed by {@link #close()}. The products use the cuBLAS workspace of the lane they are issued on
 * (the two libraries' calls on one stream run in order), so nothing more is allocated on the device. JCuda binds no
 * cuBLASLt: the calls go through {@code libdendrite_launch.so} ({@code native/launch/cublaslt.c}), which opens
 * {@code libcublasLt.so.13} itself. Off with {@code -Ddendrite.cuda.lt=false}.
 */
final class CudaLt implements AutoCloseable {
    /** How many of the heuristic's algorithms a shape offers the tuner: each costs its first call a timing. */
    static final int ALGORITHMS = 4;
    /** cublasComputeType_t CUBLAS_COMPUTE_32F: FP32 products at FP32's accuracy. */
    private static final int COMPUTE_32F = 68;
    /** CUBLAS_COMPUTE_32F_FAST_TF32: FP32 operands rounded to TF32 on the tensor cores, FP32 sums (setTf32). */
    private static final int COMPUTE_32F_FAST_TF32 = 77;
    /** cublasLtEpilogue_t: the plain product (native/launch/cublaslt_api.h, checked against cublasLt.h). */
    static final int EPILOGUE_DEFAULT = 1;
    /** relu after the product. */
    static final int EPILOGUE_RELU = 2;
    /** A bias after the product, one value per column of our row-major C (per row of cuBLAS's column-major D). */
    static final int EPILOGUE_BIAS = 4;
    /** The bias, then relu. */
    static final int EPILOGUE_RELU_BIAS = 6;

    /**
     * What a plan is made for: the compute type, cuBLAS's transposes and sizes, the operands' alignments, the epilogue
     * and its bias's alignment (256 where it has none).
     */
    private record PlanKey(int compute, int transa, int transb, int m, int n, int k, int alignA, int alignB,
            int alignC, int epilogue, int alignBias) {
    }

    private final Map<PlanKey, long[]> plans = new HashMap<>(); // key -> {plan address, algorithms}
    /** The lanes' cuBLAS workspace, which the products share (CudaContext.laneWorkspace): its size. */
    private final long workspaceBytes;
    private long handle;
    private boolean closed;
    /** Whether the heuristic refused a shape yet (warned about once). */
    private boolean heuristicRefused;

    private CudaLt(long handle, long workspaceBytes) {
        this.handle = handle;
        this.workspaceBytes = workspaceBytes;
    }

    /**
     * A cuBLASLt for the backend whose products use a workspace of {@code workspaceBytes}, or null when it cannot be
     * had here; {@code problem[0]} then says why (for the backend's description).
     */
    static CudaLt open(String[] problem, long workspaceBytes) {
        if ("false".equalsIgnoreCase(System.getProperty("dendrite.cuda.lt"))) {
            problem[0] = "turned off by -Ddendrite.cuda.lt=false";
            return null;
        }
        String why = CudaLaunchEx.load();
        if (why == null) {
            try {
                why = openProblem();
            } catch (LinkageError e) {
                why = "libdendrite_launch.so does not match this build: " + e;
            }
        }
        if (why != null) {
            problem[0] = why;
            return null;
        }
        long[] out = new long[1];
        int status = create(out);
        if (status != 0) {
            problem[0] = "cublasLtCreate failed: " + statusName(status);
            return null;
        }
        return new CudaLt(out[0], workspaceBytes);
    }

    /**
     * How many algorithms cuBLASLt offers for the product {@code g} of {@code a} and {@code b} into {@code c} (at most
     * {@link #ALGORITHMS}) that fit the workspace: 0 where it offers none. The first ask for a shape and the operands'
     * alignments makes their plan; never during a capture (the tuner asks before it times).
     */
    int algorithms(RowMajorGemm g, boolean tf32, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c) {
        return algorithms(g, tf32, EPILOGUE_DEFAULT, a, b, c, null);
    }

    /** The same for the product with {@code epilogue} (one of the EPILOGUE_ constants), whose bias is {@code bias}. */
    int algorithms(RowMajorGemm g, boolean tf32, int epilogue, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c,
                   CUdeviceptr bias) {
        return (int) plan(g, tf32, epilogue, a, b, c, bias, true)[1];
    }

    /**
     * What algorithm {@code algo} of that plan is (cuBLASLt's algorithm, tile and stages ids, its splits of k, the
     * workspace it needs, the heuristic's waves), for the GEMM choice log; null when the plan has no such algorithm.
     */
    String describe(RowMajorGemm g, boolean tf32, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c, int algo) {
        return describe(g, tf32, EPILOGUE_DEFAULT, a, b, c, null, algo);
    }

    /** The same for the product with {@code epilogue}, whose bias is {@code bias}. */
    String describe(RowMajorGemm g, boolean tf32, int epilogue, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c,
                    CUdeviceptr bias, int algo) {
        return describe(plan(g, tf32, epilogue, a, b, c, bias, true)[0], algo);
    }

    /**
     * Issues {@code C = alpha op(A) op(B) + beta C} (row-major, as {@link RowMajorGemm} maps it) on {@code stream}
     * with algorithm {@code algo} of the plan for these operands in FP32 or TF32, using the lane's {@code workspace};
     * false, having issued nothing, where that plan has no such algorithm, or there is no plan yet and
     * {@code mayPlan} is false: during a stream capture, where cuBLASLt 13's heuristic fails (reported on CUDA 13.3)
     * and may break the capture. The engine issues each step once before recording it, so a step's plans exist by
     * then.
     *
     * @throws CudaException when cuBLASLt refuses, naming its status (as JCuda throws cuBLAS's)
     */
    boolean matmul(RowMajorGemm g, boolean tf32, int algo, float alpha, CUdeviceptr a, CUdeviceptr b, float beta,
                   CUdeviceptr c, CUdeviceptr workspace, CUstream stream, boolean mayPlan) {
        return matmul(g, tf32, EPILOGUE_DEFAULT, algo, alpha, a, b, beta, c, null, workspace, stream, mayPlan);
    }

    /**
     * The same with {@code epilogue} after the product (EPILOGUE_ constants): {@code C = relu(alpha op(A) op(B) +
     * beta C + bias)} for EPILOGUE_RELU_BIAS, {@code bias} holding one value per column of the row-major C.
     */
    boolean matmul(RowMajorGemm g, boolean tf32, int epilogue, int algo, float alpha, CUdeviceptr a, CUdeviceptr b,
                   float beta, CUdeviceptr c, CUdeviceptr bias, CUdeviceptr workspace, CUstream stream,
                   boolean mayPlan) {
        long[] plan = plan(g, tf32, epilogue, a, b, c, bias, mayPlan);
        if (plan == null || algo >= plan[1]) {
            return false;
        }
        // cuBLAS's first operand is our B (see RowMajorGemm).
        int status = matmul(handle, plan[0], algo, alpha, CudaLaunchEx.address(b), CudaLaunchEx.address(a), beta,
                CudaLaunchEx.address(c), hasBias(epilogue) ? CudaLaunchEx.address(bias) : 0L,
                CudaLaunchEx.address(workspace), workspaceBytes, CudaLaunchEx.address(stream));
        if (status != 0) {
            throw new CudaException("cublasLtMatmul (algorithm " + algo + "): " + statusName(status));
        }
        return true;
    }

    /**
     * The shape's plan for operands of these alignments (cuBLASLt's heuristic otherwise assumes 256 bytes, and a
     * slice of a buffer may start on any float), made now if {@code mayPlan}, else null when there is none yet. An
     * algorithm's place in the list is its name only among plans of the same alignments, so an operand less aligned
     * than the tuner's may run another algorithm of the same shape.
     */
    private long[] plan(RowMajorGemm g, boolean tf32, int epilogue, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c,
                        CUdeviceptr bias, boolean mayPlan) {
        if (closed) {
            throw new IllegalStateException("cuBLASLt was closed with its backend");
        }
        boolean biased = hasBias(epilogue);
        if (biased && bias == null) {
            throw new IllegalArgumentException("cuBLASLt epilogue " + epilogue + " adds a bias, and none was given");
        }
        // cuBLAS's first operand is our B (see RowMajorGemm).
        PlanKey key = new PlanKey(tf32 ? COMPUTE_32F_FAST_TF32 : COMPUTE_32F, g.transa, g.transb, g.m, g.n, g.k,
                alignment(b), alignment(a), alignment(c), epilogue, biased ? alignment(bias) : 256);
        long[] plan = plans.get(key);
        if (plan == null && mayPlan) {
            plan = new long[2];
            int status = plan(handle, key.compute(), g.transa, g.transb, g.m, g.n, g.k, g.lda, g.ldb, g.ldc,
                    key.alignA(), key.alignB(), key.alignC(), epilogue, biased ? CudaLaunchEx.address(bias) : 0L,
                    workspaceBytes, ALGORITHMS, plan);
            if (status != 0) {
                // Not worth stopping training over: the shape keeps the paths it had before cuBLASLt. Said once.
                if (!heuristicRefused) {
                    heuristicRefused = true;
                    System.err.println("cuda: cuBLASLt's heuristic refused the column-major " + g.m + " x " + g.n
                            + " x " + g.k + " product (epilogue " + epilogue + ", " + statusName(status)
                            + "); that shape, and any other it refuses, is offered no cuBLASLt algorithm");
                }
                plan[0] = 0;
                plan[1] = 0;
            }
            plans.put(key, plan);
        }
        return plan;
    }

    /**
     * The largest power of two up to 256 that divides the operand's address: its alignment in bytes; 256 for null,
     * a buffer not allocated yet (every allocation starts on 256 bytes).
     */
    static int alignment(CUdeviceptr p) {
        long address = CudaLaunchEx.address(p);
        return address == 0 ? 256 : (int) Math.min(256, Long.lowestOneBit(address));
    }

    /** Whether {@code epilogue} adds a bias. */
    static boolean hasBias(int epilogue) {
        return epilogue == EPILOGUE_BIAS || epilogue == EPILOGUE_RELU_BIAS;
    }

    /** Frees every plan and the handle; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (long[] plan : plans.values()) {
            if (plan[0] != 0) {
                freePlan(plan[0]);
            }
        }
        plans.clear();
        int status = destroy(handle);
        handle = 0;
        if (status != 0) {
            throw new CudaException("cublasLtDestroy: " + statusName(status));
        }
    }

    // =============================================================== libdendrite_launch.so (native/launch/cublaslt.c)

    /** Why cuBLASLt cannot be opened (no libcublasLt.so.13, an entry point missing), or null. */
    private static native String openProblem();

    private static native String statusName(int status);

    private static native int create(long[] handleOut);

    private static native int destroy(long handle);

    private static native int plan(long handle, int compute, int transa, int transb, int m, int n, int k, int lda,
                                   int ldb, int ldc, int alignA, int alignB, int alignC, int epilogue, long bias,
                                   long maxWorkspace, int requested, long[] planAndCount);

    private static native void freePlan(long plan);

    private static native String describe(long plan, int algo);

    private static native int matmul(long handle, long plan, int algo, float alpha, long a, long b, float beta, long c,
                                     long bias, long workspace, long workspaceBytes, long stream);
}
