package dev.dendrite.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.dendrite.backend.CountersInUpdate;
import dev.dendrite.backend.DeviceMemoryMeter;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.runtime.cudaStream_t;

/**
 * The device side of a {@link CudaBackend}: driver, device, primary context, the one non-blocking stream, the
 * kernel module and its functions, the control block (device-side errors and per-block partials of the loss
 * kernels), the cuBLAS handle and its workspace; how kernels are launched on that stream, and how a failing driver
 * call is reported. Every family of ops ({@code Cuda*Ops}) issues its work through the one instance its backend
 * holds. Opened by {@link #open}, released by {@link #release}.
 */
final class CudaContext {
    /** Threads per block of the element-wise and row-wise kernels. */
    static final int BLOCK = 256;
    /** Rows handled at once by a 256-thread block of the warp-per-row kernels. */
    static final int ROWS_PER_BLOCK = BLOCK / 32;
    /** Column-tile kernels: 32 columns x up to 32 row-threads (kernels/cuda/common.cuh). */
    static final int TILE_COLS = 32;
    static final int TILE_ROWS = 32;
    /** Mirrors of kernels/cuda/common.cuh's control block layout. */
    static final int MAX_STAT_BLOCKS = 1024;
    static final int CONTROL_PARTIALS = 8;
    static final int CONTROL_WORDS = CONTROL_PARTIALS + 2 * MAX_STAT_BLOCKS;

    private final int deviceIndex;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    /** The main lane's stream: every op is issued here except inside a branch ({@link CudaSideLane}). */
    final CUstream mainStream = new CUstream();
    private final cublasHandle mainCublas = new cublasHandle();
    /** The stream and cuBLAS handle the ops are issued to now: the main lane's, or the side lane's in a branch. */
    CUstream stream = mainStream;
    private final CUmodule module = new CUmodule();
    private final CUfunction[] functions = new CUfunction[CudaKernel.values().length];
    cublasHandle cublas = mainCublas;
    /** Where {@link CudaBackend#branch} issues its ops while a step is recorded: created outside a capture. */
    final CudaSideLane side = new CudaSideLane(this);
    final CUdeviceptr control = new CUdeviceptr();
    private final CUdeviceptr cublasWorkspace = new CUdeviceptr();
    final boolean syncEachOp = Boolean.getBoolean("dendrite.cuda.sync");
    /** Scratch allocations a captured graph may still reference: freed only by release(). */
    final List<CUdeviceptr> retired = new ArrayList<>();
    /** Device memory the backend holds: {@link CudaBackend#peakDeviceBytes()}. */
    final DeviceMemoryMeter memory = new DeviceMemoryMeter();

    private boolean contextRetained;
    private boolean streamCreated;
    private boolean moduleLoaded;
    private boolean cublasCreated;
    private boolean controlAllocated;
    private boolean workspaceAllocated;

    String gpuName = "?";
    int ccMajor;
    int ccMinor;
    int smCount = 1;
    private int maxGrid = 8;
    long totalMemory;
    int driverVersion;
    int cublasVersion;
    String cublasRoute = "?";

    private volatile Thread boundThread;
    /** A graph capture is in progress on the stream: nothing may wait or allocate. */
    boolean capturing;
    /** cuBLAS may use TF32 tensor cores ({@link CudaBackend#setTf32}). */
    boolean tf32;
    /** Kernels are launched with programmatic dependent launch ({@link CudaLaunchEx}). */
    boolean pdl;
    /** Why they are not (for the description), or null. */
    String pdlProblem;
    /** A kernel that records device-side errors ran since the control block was last read. */
    boolean errorsPending;
    /** Inside {@link CudaBackend#updateThenAdvanceCounters}: which rule kernel advances the step counters. */
    final CountersInUpdate countersInUpdate = new CountersInUpdate("cuda");

    CudaContext(int deviceIndex) {
        this.deviceIndex = deviceIndex;
    }

    /** Driver, device, context, stream, kernels, control block and cuBLAS; the caller releases after a failure. */
    void open(byte[] fatbin) {
        openDevice();
        start(fatbin);
    }

    /** Whether the primary context was retained (then it is made current before anything is released). */
    boolean hasContext() {
        return contextRetained;
    }

    /** Makes the context current and waits for the stream, noting failures in {@code problems}. */
    void drain(List<String> problems) {
        if (contextRetained) {
            attempt(problems, "cuCtxSetCurrent", () -> cuCtxSetCurrent(context));
        }
        if (streamCreated) {
            attempt(problems, "cuStreamSynchronize", () -> cuStreamSynchronize(mainStream));
        }
    }

    /**
     * Frees the retired scratch, then cuBLAS, the control block, the module, the stream and the context, noting
     * failures in {@code problems}; after the backend's buffers and graphs are gone.
     */
    void release(List<String> problems) {
        for (CUdeviceptr p : retired) {
            attempt(problems, "cuMemFree", () -> cuMemFree(p));
        }
        retired.clear();
        side.release(problems);
        if (cublasCreated) {
            attempt(problems, "cublasDestroy", () -> JCublas2.cublasDestroy(mainCublas));
            cublasCreated = false;
        }
        if (workspaceAllocated) {
            attempt(problems, "cuMemFree", () -> cuMemFree(cublasWorkspace));
            workspaceAllocated = false;
        }
        if (controlAllocated) {
            attempt(problems, "cuMemFree", () -> cuMemFree(control));
            controlAllocated = false;
        }
        if (moduleLoaded) {
            attempt(problems, "cuModuleUnload", () -> cuModuleUnload(module));
            moduleLoaded = false;
        }
        if (streamCreated) {
            attempt(problems, "cuStreamDestroy", () -> cuStreamDestroy(mainStream));
            streamCreated = false;
        }
        if (contextRetained) {
            attempt(problems, "cuDevicePrimaryCtxRelease", () -> cuDevicePrimaryCtxRelease(device));
            contextRetained = false;
        }
        boundThread = null;
    }

    /** Runs {@code action}, noting a failure as {@code what: message} instead of throwing. */
    static void attempt(List<String> problems, String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            problems.add(what + ": " + e.getMessage());
        }
    }

    /** Lets cuBLAS use TF32 tensor cores, or not. */
    void setTf32(boolean enabled) {
        try {
            JCublas2.cublasSetMathMode(mainCublas, mathMode(enabled));
            side.setMathMode(mathMode(enabled));
        } catch (CudaException e) {
            throw fail("setTf32", "enabled=" + enabled, e);
        }
        tf32 = enabled;
    }

    static int mathMode(boolean tf32) {
        return tf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH;
    }

    /** The GPU's free and total memory in bytes. */
    long[] memoryInfo() {
        long[] free = new long[1];
        long[] total = new long[1];
        try {
            cuMemGetInfo(free, total);
        } catch (CudaException e) {
            throw fail("memoryInfo", "", e);
        }
        return new long[] {free[0], total[0]};
    }

    /** Driver, device and primary context; failures become "CUDA is unavailable: ..." sentences. */
    private void openDevice() {
        try {
            cuInit(0);
        } catch (CudaException e) {
            String err = e.getMessage();
            String why = err.contains("NO_DEVICE") ? "no CUDA device found"
                    : err.contains("INSUFFICIENT_DRIVER") ? "the CUDA driver is older than this build of JCuda "
                    + "(CUDA 12.6) needs"
                    : err.contains("STUB_LIBRARY") ? "libcuda.so.1 is the CUDA toolkit's stub, not a driver"
                    : "the CUDA driver failed to start";
            throw new UnsupportedOperationException("CUDA is unavailable: " + why + " (cuInit: " + err + ")", e);
        }
        int[] count = new int[1];
        cuDeviceGetCount(count);
        if (count[0] == 0) {
            throw new UnsupportedOperationException("CUDA is unavailable: no CUDA device found");
        }
        if (deviceIndex < 0 || deviceIndex >= count[0]) {
            throw new UnsupportedOperationException("CUDA is unavailable: device " + deviceIndex
                    + " requested (dendrite.cuda.device) but there " + (count[0] == 1 ? "is 1 device" : "are "
                    + count[0] + " devices") + "; expected 0.." + (count[0] - 1));
        }
        cuDeviceGet(device, deviceIndex);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int end = 0;
        while (end < name.length && name[end] != 0) {
            end++;
        }
        gpuName = new String(name, 0, end, StandardCharsets.UTF_8).trim();
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        smCount = Math.max(1, attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
        maxGrid = smCount * 8;
        long[] total = new long[1];
        cuDeviceTotalMem(total, device);
        totalMemory = total[0];
        int[] version = new int[1];
        cuDriverGetVersion(version);
        driverVersion = version[0];
        if (ccMajor * 10 + ccMinor < 75) {
            throw new UnsupportedOperationException("CUDA is unavailable: " + gpuName + " has compute capability "
                    + ccMajor + "." + ccMinor + "; the kernels in this build need 7.5 (Turing) or newer");
        }
        cuDevicePrimaryCtxRetain(context, device);
        contextRetained = true;
        cuCtxSetCurrent(context);
        boundThread = Thread.currentThread();
    }

    private int attribute(int attribute) {
        int[] value = new int[1];
        cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    /** Stream, kernels, control block and cuBLAS. */
    private void start(byte[] fatbin) {
        cuStreamCreate(mainStream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        streamCreated = true;
        try {
            cuModuleLoadData(module, fatbin);
        } catch (CudaException e) {
            throw new UnsupportedOperationException("CUDA is unavailable: the kernels of this build (SASS for "
                    + "sm_75..sm_90 and compute_90 PTX, from CUDA 13) cannot be loaded on " + gpuName + " (sm_"
                    + ccMajor + ccMinor + ") with driver " + version(driverVersion) + ": " + e.getMessage()
                    + (e.getMessage().contains("PTX") ? " (a CUDA 13 driver, R580 or newer, is needed)" : ""), e);
        }
        moduleLoaded = true;
        for (CudaKernel k : CudaKernel.values()) {
            CUfunction f = new CUfunction();
            try {
                cuModuleGetFunction(f, module, k.symbol());
            } catch (CudaException e) {
                throw new UnsupportedOperationException("CUDA is unavailable: kernel '" + k.symbol()
                        + "' is missing from dendrite_kernels.fatbin (" + e.getMessage() + "); rebuild the kernels", e);
            }
            functions[k.ordinal()] = f;
        }
        cuMemAlloc(control, (long) CONTROL_WORDS * 4);
        controlAllocated = true;
        memory.add((long) CONTROL_WORDS * 4);
        cuMemsetD32Async(control, 0, CONTROL_WORDS, mainStream);
        pdlProblem = CudaLaunchEx.pdlProblem(ccMajor);
        if (pdlProblem == null) {
            pdlProblem = probePdl();
        }
        pdl = pdlProblem == null;

        cublasRoute = CudaLibraries.loadCublas();
        JCublas2.setExceptionsEnabled(true);
        try {
            JCublas2.cublasCreate(mainCublas);
        } catch (CudaException e) {
            throw new UnsupportedOperationException("CUDA is unavailable: cublasCreate failed (" + e.getMessage()
                    + ") with cuBLAS reached as " + cublasRoute
                    + (e.getMessage().contains("NOT_INITIALIZED") && cublasRoute.contains("forwarding")
                    ? "; is libcublas.so.13 on the library path (or DENDRITE_CUBLAS set to it)?" : ""), e);
        }
        cublasCreated = true;
        long workspaceBytes = cublasWorkspaceBytes();
        cuMemAlloc(cublasWorkspace, workspaceBytes);
        workspaceAllocated = true;
        memory.add(workspaceBytes);
        attachCublas(mainCublas, mainStream, cublasWorkspace, workspaceBytes);
        int[] v = new int[1];
        JCublas2.cublasGetVersion(mainCublas, v);
        cublasVersion = v[0];
        cuStreamSynchronize(mainStream);
    }

    /**
     * One programmatic launch before any op relies on them, so that a driver that refuses the attribute leaves the
     * backend launching as before (said in its description) instead of failing every op. The kernel advances two
     * words of the control block's per-block partials, which every kernel using them writes before reading.
     *
     * @return null when the launch ran, else why PDL stays off
     * @throws CudaException when the probe's kernel faulted: the context is unusable, so the backend cannot start
     */
    private String probePdl() {
        try {
            CudaLaunchEx.launch(functions[CudaKernel.ADVANCE_COUNTERS.ordinal()], mainStream, 1, 1, 1, 32, 1, 0,
                    new Object[] {control.withByteOffset(4L * CONTROL_PARTIALS)});
            cuStreamSynchronize(mainStream);
            return null;
        } catch (CudaException e) {
            if (isSticky(String.valueOf(e.getMessage()))) {
                throw e;
            }
            return "the driver refused a programmatic launch: " + e.getMessage();
        } catch (LinkageError e) {
            return "libdendrite_launch.so does not match this build: " + e;
        }
    }

    /** The cuBLAS workspace of a lane: the sizes NVIDIA recommends, 32 MiB from Hopper on and 4 MiB before. */
    long cublasWorkspaceBytes() {
        return ccMajor >= 9 ? 32L << 20 : 4L << 20;
    }

    /**
     * The cuBLAS workspace of the lane ops go to now ({@link #cublasWorkspaceBytes()} long). cuBLASLt's products
     * ({@link CudaLt}) use it too: every call on a lane runs in its stream's order, so they never overlap.
     */
    CUdeviceptr laneWorkspace() {
        return side.index() == 1 ? side.workspace() : cublasWorkspace;
    }

    /**
     * Puts a lane's cuBLAS handle on its stream with a workspace of its own, so that cuBLAS never allocates (which
     * a graph capture forbids), in the backend's math mode (FP32, or TF32 after setTf32).
     */
    void attachCublas(cublasHandle handle, CUstream on, CUdeviceptr workspace, long bytes) {
        JCublas2.cublasSetStream(handle, new cudaStream_t(on));
        JCublas2.cublasSetWorkspace(handle, workspace, bytes);
        JCublas2.cublasSetMathMode(handle, mathMode(tf32));
    }

    static String version(int v) {
        // CUDA's encoding: 1000 * major + 10 * minor (driver); cuBLAS: 10000 * major + 100 * minor + patch.
        return v / 1000 + "." + (v % 1000) / 10;
    }

    static String cublasVersionString(int v) {
        return v >= 10000 ? v / 10000 + "." + (v % 10000) / 100 + "." + v % 100 : version(v);
    }
    RuntimeException allocationFailure(String what, long bytes, CudaException e) {
        if (!String.valueOf(e.getMessage()).contains("OUT_OF_MEMORY")) {
            return fail("allocate", what, e);
        }
        long free = -1;
        long total = -1;
        try {
            long[] f = new long[1];
            long[] t = new long[1];
            cuMemGetInfo(f, t);
            free = f[0];
            total = t[0];
        } catch (CudaException ignored) {
            // report what we know
        }
        return new CudaOutOfMemoryException(String.format(Locale.ROOT,
                "cuda %s: out of GPU memory: %,d bytes requested, %s free of %s on %s", what, bytes,
                free < 0 ? "?" : String.format(Locale.ROOT, "%,d", free),
                total < 0 ? "?" : String.format(Locale.ROOT, "%,d", total), gpuName), bytes, free, total, e);
    }

    /**
     * Launches a kernel over a 3-D grid of {@code blockX x blockY} blocks (the GEMM kernels; {@link #launch} covers
     * 1-D grids), with the arguments checked against the kernel's signature as {@code launch} does.
     */
    void launchGrid(CudaKernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY,
                            Object... args) {
        issue(kernel, gridX, gridY, gridZ, blockX, blockY, 0, args);
    }

    // ================================================================== the step's counters in its last update

    /**
     * For a rule kernel about to be launched (Adam, SGD): the counters it must advance at its end, or null (a null
     * device pointer) outside {@link CudaBackend#updateThenAdvanceCounters} or when another kernel took them.
     */
    CUdeviceptr takeCountersToAdvance() {
        return ptr(countersInUpdate.take());
    }

    /** Every launch: a kernel after the one that advanced the counters, within the same update, is refused. */
    private void checkCounterAdvance(CudaKernel kernel) {
        countersInUpdate.launching(kernel.symbol());
    }

    /** Makes the backend's context current on the calling thread (cheap when it already is). */
    void bind() {
        Thread t = Thread.currentThread();
        if (boundThread != t) {
            cuCtxSetCurrent(context);
            boundThread = t;
        }
    }

    void noCapture(String op) {
        if (capturing) {
            throw new IllegalStateException("cuda " + op + " cannot run while a CUDA graph is being captured: "
                    + "it waits for the device, copies from the host or allocates; do it before begin() or "
                    + "after end()");
        }
    }

    /**
     * The device address of a slice that checks has passed (so an open CudaBuffer of this backend), or null (a
     * null device pointer) for a null, optional slice.
     */
    static CUdeviceptr ptr(Slice s) {
        return s == null ? null : ((CudaBuffer) s.buffer()).at(s.offset());
    }

    // ================================================================== launching

    /**
     * Launches a kernel on the stream. Arguments: a {@link CUdeviceptr}, null (a null device pointer), an
     * {@link Integer} or a {@link Float}, in the kernel's parameter order.
     */
    void launch(CudaKernel kernel, int gridX, int blockX, int blockY, int sharedBytes, Object... args) {
        issue(kernel, gridX, 1, 1, blockX, blockY, sharedBytes, args);
        afterOp();
    }

    /** Every launch: through cuLaunchKernelEx with PDL where {@link #pdl} holds, else JCuda's cuLaunchKernel. */
    private void issue(CudaKernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int sharedBytes,
                       Object[] args) {
        checkCounterAdvance(kernel);
        checkArguments(kernel, args);
        CUfunction function = functions[kernel.ordinal()];
        if (pdl) {
            CudaLaunchEx.launch(function, stream, gridX, gridY, gridZ, blockX, blockY, sharedBytes, args);
        } else {
            cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, 1, sharedBytes, stream,
                    Pointer.to(kernelParams(args)), null);
        }
    }

    /**
     * {@link #launch} for an op over a {@code rows x cols} matrix, without shared memory: a failure is reported as
     * the op's, with its shape. The ops' own code is then the grid and the arguments.
     */
    void launchMatrix(String op, int rows, int cols, CudaKernel k, int gridX, int blockX, int blockY,
                      Object... args) {
        try {
            launch(k, gridX, blockX, blockY, 0, args);
        } catch (CudaException e) {
            throw fail(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    /**
     * {@link #launch} for an op over {@code n} elements in blocks of {@link #BLOCK}, nothing when {@code n} is 0 (so
     * that the ops need no guard of their own); a failure names the op and n.
     */
    void launchElements(String op, int n, CudaKernel k, int gridX, Object... args) {
        launchItems(op, null, n, k, gridX, args);
    }

    /**
     * {@link #launchElements} over {@code n} items (elements, or blocks of them), whose failure names
     * {@code context} (the op's sizes and settings; null: n).
     */
    void launchItems(String op, String context, long n, CudaKernel k, int gridX, Object... args) {
        if (n == 0) {
            return;
        }
        try {
            launch(k, gridX, BLOCK, 1, 0, args);
        } catch (CudaException e) {
            throw fail(op, context != null ? context : "n=" + n, e);
        }
    }

    /** Arguments against the kernel's signature: a {@link CUdeviceptr} or null for P, Integer for I, Float for F. */
    static void checkArguments(CudaKernel kernel, Object[] args) {
        String signature = kernel.signature();
        if (args.length != signature.length()) {
            throw new IllegalStateException("launch " + kernel.symbol() + ": " + args.length
                    + " arguments; its signature " + signature + " has " + signature.length());
        }
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            char want = signature.charAt(i);
            boolean fits = want == 'P' ? a == null || a instanceof CUdeviceptr
                    : want == 'I' ? a instanceof Integer : want == 'F' && a instanceof Float;
            if (!fits) {
                throw new IllegalStateException("launch " + kernel.symbol() + ": argument " + i + " is "
                        + (a == null ? "null" : a.getClass().getSimpleName()) + " but the signature " + signature
                        + " wants " + want);
            }
        }
    }

    /** JCuda's kernel parameters for arguments that passed {@link #checkArguments}. */
    private static NativePointerObject[] kernelParams(Object[] args) {
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                params[i] = Pointer.to(new long[] {0L});
            } else if (a instanceof CUdeviceptr) {
                params[i] = Pointer.to((CUdeviceptr) a);
            } else if (a instanceof Integer) {
                params[i] = Pointer.to(new int[] {(Integer) a});
            } else {
                params[i] = Pointer.to(new float[] {(Float) a});
            }
        }
        return params;
    }

    /** With -Ddendrite.cuda.sync=true, waits for the op just issued so that its own failure is reported. */
    void afterOp() {
        if (syncEachOp && !capturing) {
            cuStreamSynchronize(stream);
        }
    }

    /** Blocks of 256 for a grid-stride loop over n elements: enough to fill the GPU, no more. */
    int elementGrid(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
    }

    /** Like elementGrid, for kernels whose per-block partials live in the control block. */
    int statGrid(long n) {
        return Math.min(elementGrid(n), MAX_STAT_BLOCKS);
    }

    /** Blocks of 8 warps for the warp-per-row kernels. */
    int rowGrid(int rows, boolean stats) {
        int grid = Math.max(1, Math.min(ceilDiv(rows, ROWS_PER_BLOCK), maxGrid));
        return stats ? Math.min(grid, MAX_STAT_BLOCKS) : grid;
    }

    /** Row-threads of a column-tile block: a power of two, at most TILE_ROWS, no more than the rows. */
    static int tileRows(int rows) {
        int t = 1;
        while (t < TILE_ROWS && t < rows) {
            t <<= 1;
        }
        return t;
    }

    static int ceilDiv(long a, int b) {
        return (int) ((a + b - 1) / b);
    }

    /** Whether a driver error leaves the context unusable (a fault inside a kernel). */
    static boolean isSticky(String err) {
        return err.contains("ILLEGAL_ADDRESS") || err.contains("LAUNCH_FAILED")
                || err.contains("ILLEGAL_INSTRUCTION") || err.contains("MISALIGNED") || err.contains("HARDWARE");
    }

    RuntimeException fail(String op, String args, CudaException e) {
        String err = String.valueOf(e.getMessage());
        boolean sticky = isSticky(err);
        return new CudaBackendException("cuda " + op + "(" + args + ") failed: " + err
                + (sticky && !syncEachOp ? " (the fault may come from an earlier asynchronous op; run with "
                + "-Ddendrite.cuda.sync=true to find it; the CUDA context is unusable after this error)" : ""), e);
    }

    // ================================================================== validation

    static boolean sameElements(Slice a, Slice b) {
        return a.buffer() == b.buffer() && a.offset() == b.offset();
    }

    /**
     * dst = the first n floats of src, ordered on the stream: the identity ops (a linear activation, dropout at rate
     * 0), which copy nothing when they run in place.
     */
    void copyUnlessSame(Slice src, Slice dst, long n) {
        if (n > 0 && !sameElements(src, dst)) {
            cuMemcpyDtoDAsync(ptr(dst), ptr(src), n * 4, stream);
            afterOp();
        }
    }
}
