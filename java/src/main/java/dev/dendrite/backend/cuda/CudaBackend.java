package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.KernelCodes.ERROR_GATHER_BATCH;
import static dev.dendrite.backend.KernelCodes.ERROR_GATHER_ROW;
import static dev.dendrite.backend.KernelCodes.ERROR_LABEL;
import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.OpChecks.badIndex;
import static dev.dendrite.backend.OpChecks.badLabel;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.DeviceOpTimer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.DeviceMemoryMeter;
import dev.dendrite.backend.GemmTuner;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.AbstractBackend;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.runtime.cudaStream_t;

/**
 * The CUDA {@link Backend}: JCuda's driver API for memory, the kernel module, the stream and graphs; cuBLAS
 * (through JCublas2) for GEMM; the hand-written kernels of {@code kernels/cuda/*.cu}, compiled ahead of time
 * into {@code dendrite_kernels.fatbin} and loaded with cuModuleLoadData, for everything else.
 *
 * <p>Everything runs on one non-blocking stream of the device's primary context, which JCublas2 shares; the
 * cuBLAS handle works on the same stream with a workspace of its own, so nothing allocates while a step is
 * being captured into a {@link CudaGraph}. Ops are asynchronous; {@link #download} and {@link #synchronize}
 * wait. Values only the device sees (sparse labels, shuffle indices, the batch counter) are checked by the
 * kernels, and a bad one is reported by the next {@code download} or {@code synchronize} as an
 * {@link IllegalArgumentException} naming it.
 *
 * <p>Precision: FP32 by default; {@link #setTf32(boolean)} (or {@code -Ddendrite.cuda.tf32=true}) lets cuBLAS
 * use TF32 tensor cores for GEMM, several times faster on Ampere and later at about 1e-3 relative error.
 * {@code -Ddendrite.cuda.device=N} picks a GPU; {@code -Ddendrite.cuda.sync=true} waits after every op, so that
 * an asynchronous fault is reported by the op that caused it.
 *
 * <p>Like a stream, one backend is meant to be driven by one thread at a time.
 */
public final class CudaBackend extends AbstractBackend<CudaBuffer> implements DeviceOpTimer {
    /** Threads per block of the element-wise and row-wise kernels. */
    private static final int BLOCK = 256;
    /** Rows handled at once by a 256-thread block of the warp-per-row kernels. */
    private static final int ROWS_PER_BLOCK = BLOCK / 32;
    /** Column-tile kernels: 32 columns x up to 32 row-threads (kernels/cuda/common.cuh). */
    private static final int TILE_COLS = 32;
    private static final int TILE_ROWS = 32;
    /** Mirrors of kernels/cuda/common.cuh's control block layout. */
    private static final int MAX_STAT_BLOCKS = 1024;
    private static final int CONTROL_WORDS = 8 + 2 * MAX_STAT_BLOCKS;
    /** Largest permutation: keys are padded to a power of two of at most 2^30. */
    private static final int MAX_PERMUTATION = 1 << 30;
    /** {@link #gemm}'s name for cuBLAS, beside the GemmVariant ids, in its choices and {@code -Ddendrite.cuda.gemm}. */
    private static final String GEMM_CUBLAS = "cublas";

    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());

    private final int deviceIndex;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final CUmodule module = new CUmodule();
    private final CUfunction[] functions = new CUfunction[CudaKernel.values().length];
    private final cublasHandle cublas = new cublasHandle();
    private final CUdeviceptr control = new CUdeviceptr();
    private final CUdeviceptr cublasWorkspace = new CUdeviceptr();
    private final boolean syncEachOp = Boolean.getBoolean("dendrite.cuda.sync");
    private final Set<CudaBuffer> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<CudaGraph> graphs = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Scratch allocations a captured graph may still reference: freed only by close(). */
    private final List<CUdeviceptr> retired = new ArrayList<>();

    private boolean contextRetained;
    private boolean streamCreated;
    private boolean moduleLoaded;
    private boolean cublasCreated;
    private boolean controlAllocated;
    private boolean workspaceAllocated;

    private String gpuName = "?";
    private int ccMajor;
    private int ccMinor;
    private int smCount = 1;
    private int maxGrid = 8;
    private long totalMemory;
    private int driverVersion;
    private int cublasVersion;
    private String cublasRoute = "?";

    private volatile Thread boundThread;
    private boolean capturing;
    private boolean tf32;
    /** Whether {@link #capture} records CUDA graphs; {@code -Ddendrite.cuda.graphs=false} turns them off. */
    private final boolean graphsEnabled = !"false".equalsIgnoreCase(System.getProperty("dendrite.cuda.graphs"));
    /** Set when the driver refused a capture: later steps are issued op by op. */
    private boolean graphsFailed;
    private long graphLaunches;
    /** Device memory this backend holds: {@link #peakDeviceBytes()}. */
    private final DeviceMemoryMeter memory = new DeviceMemoryMeter();
    /** Set when timing the GEMM candidates of a shape failed once: warned about once, cuBLAS used for it. */
    private boolean gemmTuningFailed;
    /** A kernel that records device-side errors ran since the control block was last read. */
    private boolean errorsPending;
    private CUdeviceptr sortKeys;
    private long sortKeysBytes;
    /**
     * {@code -Ddendrite.cuda.gemm}: "auto" (the default) measures cuBLAS against the own FP32 kernels
     * (kernels/cuda/gemm.cu, {@link GemmVariant}) per shape and keeps the fastest; "cublas" always takes cuBLAS;
     * "own" always takes the own kernels (the fastest of them per shape; FP32 even when TF32 is on), for debugging
     * and benchmarks. An unknown value fails the constructor, naming it.
     */
    private final String gemmMode = gemmModeProperty(System.getProperty("dendrite.cuda.gemm"));
    private final GemmTuner<String> gemmTuner = new GemmTuner<>("cuda");
    /** A path tests force with forceGemmPath, or null. */
    private String forcedGemmPath;
    /** Partial sums of split GEMMs, grown outside captures; see ensureGemmWorkspace. */
    private CUdeviceptr gemmWorkspace;
    private long gemmWorkspaceBytes;

    /**
     * A backend on the GPU given by {@code -Ddendrite.cuda.device} (default 0).
     *
     * @throws UnsupportedOperationException when CUDA cannot run here, saying why (no driver, no device, no
     *         kernels in this build, no cuBLAS ...)
     */
    public CudaBackend() {
        this(Integer.getInteger("dendrite.cuda.device", 0));
    }

    /**
     * A backend on GPU number {@code deviceIndex}.
     *
     * @throws UnsupportedOperationException when CUDA cannot run here, saying why
     */
    public CudaBackend(int deviceIndex) {
        super(CudaBuffer.class);
        this.deviceIndex = deviceIndex;
        byte[] fatbin = CudaLibraries.fatbin();
        String notBuilt = "CUDA kernels were not built (nvcc was not found at build time)";
        try {
            CudaLibraries.loadDriver();
        } catch (UnsupportedOperationException e) {
            throw fatbin != null ? e
                    : new UnsupportedOperationException(e.getMessage() + "; also, " + notBuilt, e.getCause());
        }
        if (fatbin == null) {
            throw new UnsupportedOperationException("CUDA is unavailable: " + notBuilt);
        }
        JCudaDriver.setExceptionsEnabled(true);
        try {
            openDevice();
            start(fatbin);
        } catch (RuntimeException | Error e) {
            releaseEverything();
            closed = true;
            throw e;
        }
        boolean tf32Default = Boolean.getBoolean("dendrite.cuda.tf32");
        if (tf32Default) {
            setTf32(true);
        }
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
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
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
        cuMemsetD32Async(control, 0, CONTROL_WORDS, stream);

        cublasRoute = CudaLibraries.loadCublas();
        JCublas2.setExceptionsEnabled(true);
        try {
            JCublas2.cublasCreate(cublas);
        } catch (CudaException e) {
            throw new UnsupportedOperationException("CUDA is unavailable: cublasCreate failed (" + e.getMessage()
                    + ") with cuBLAS reached as " + cublasRoute
                    + (e.getMessage().contains("NOT_INITIALIZED") && cublasRoute.contains("forwarding")
                    ? "; is libcublas.so.13 on the library path (or DENDRITE_CUBLAS set to it)?" : ""), e);
        }
        cublasCreated = true;
        JCublas2.cublasSetStream(cublas, new cudaStream_t(stream));
        // A workspace of its own, so that cuBLAS never allocates (which a graph capture forbids); the sizes
        // NVIDIA recommends: 32 MiB from Hopper on, 4 MiB before.
        long workspaceBytes = ccMajor >= 9 ? 32L << 20 : 4L << 20;
        cuMemAlloc(cublasWorkspace, workspaceBytes);
        workspaceAllocated = true;
        memory.add(workspaceBytes);
        JCublas2.cublasSetWorkspace(cublas, cublasWorkspace, workspaceBytes);
        JCublas2.cublasSetMathMode(cublas, cublasMath.CUBLAS_DEFAULT_MATH);
        int[] v = new int[1];
        JCublas2.cublasGetVersion(cublas, v);
        cublasVersion = v[0];
        cuStreamSynchronize(stream);
    }

    private static String version(int v) {
        // CUDA's encoding: 1000 * major + 10 * minor (driver); cuBLAS: 10000 * major + 100 * minor + patch.
        return v / 1000 + "." + (v % 1000) / 10;
    }

    private static String cublasVersionString(int v) {
        return v >= 10000 ? v / 10000 + "." + (v % 10000) / 100 + "." + v % 100 : version(v);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "cuda: %s (sm_%d%d, %d SMs, %.1f GiB), driver %s, cuBLAS %s (%s), %s",
                gpuName, ccMajor, ccMinor, smCount, totalMemory / (double) (1L << 30), version(driverVersion),
                cublasVersionString(cublasVersion), cublasRoute, tf32 ? "TF32 GEMM" : "FP32");
    }

    /** The GPU's name, e.g. {@code "NVIDIA H100 80GB HBM3"}. */
    public String deviceName() {
        return gpuName;
    }

    /** cuBLAS's version as it reports it, e.g. 130100 for 13.1.0. */
    public int cublasVersion() {
        return cublasVersion;
    }

    /**
     * Lets cuBLAS use TF32 tensor cores for {@link #gemm} (10-bit mantissa inputs, FP32 accumulation), or goes
     * back to full FP32 (the default). Takes effect for GEMMs issued afterwards; a {@link CudaGraph} keeps the
     * mode it was captured with.
     */
    public void setTf32(boolean enabled) {
        ensureOpen();
        try {
            JCublas2.cublasSetMathMode(cublas, enabled ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH
                    : cublasMath.CUBLAS_DEFAULT_MATH);
        } catch (CudaException e) {
            throw fail("setTf32", "enabled=" + enabled, e);
        }
        tf32 = enabled;
    }

    /** Whether GEMMs may use TF32 (see {@link #setTf32}). */
    public boolean isTf32() {
        return tf32;
    }

    // ================================================================== memory

    @Override
    protected Buffer doAllocate(DType dtype, int length) {
        noCapture("allocate");
        long bytes = (long) length * dtype.bytes();
        CUdeviceptr p = new CUdeviceptr();
        if (bytes > 0) {
            try {
                cuMemAlloc(p, bytes);
                memory.add(bytes);
            } catch (CudaException e) {
                throw allocationFailure("allocate(" + dtype + ", " + length + ")", bytes, e);
            }
            try {
                cuMemsetD8Async(p, (byte) 0, bytes, stream);
                afterOp();
            } catch (CudaException e) {
                freeQuietly(p);
                throw fail("allocate", dtype + " x " + length, e);
            }
        }
        CudaBuffer b = new CudaBuffer(this, dtype, length, p);
        synchronized (buffers) {
            buffers.add(b);
        }
        return b;
    }

    private RuntimeException allocationFailure(String what, long bytes, CudaException e) {
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

    /** Frees one buffer (called by {@link CudaBuffer#close()}). */
    void release(CudaBuffer b) {
        synchronized (buffers) {
            if (b.isClosed()) {
                return;
            }
            b.markClosed();
            if (closed || !buffers.remove(b)) {
                return; // the backend's close() frees (or freed) it
            }
        }
        if (b.bytes() == 0) {
            return;
        }
        noCapture("Buffer.close");
        bind();
        try {
            cuStreamSynchronize(stream); // ops still queued may read it
            cuMemFree(b.pointer());
            memory.add(-b.bytes());
        } catch (CudaException e) {
            throw fail("Buffer.close", b.toString(), e);
        }
    }

    /** Number of buffers allocated and not yet closed (for leak checks). */
    public int openBuffers() {
        synchronized (buffers) {
            return buffers.size();
        }
    }

    /**
     * The GPU's free and total memory in bytes, {@code {free, total}}, as {@code cuMemGetInfo} reports them (for
     * leak checks and diagnostics). Free memory is the whole device's: other contexts and processes count too,
     * and the driver hands out memory in pages, so it moves in steps of about 2 MiB.
     *
     * @throws IllegalStateException if the backend is closed
     */
    public long[] memoryInfo() {
        ensureOpen();
        long[] free = new long[1];
        long[] total = new long[1];
        try {
            cuMemGetInfo(free, total);
        } catch (CudaException e) {
            throw fail("memoryInfo", "", e);
        }
        return new long[] {free[0], total[0]};
    }

    @Override
    protected void doUpload(float[] src, int srcOffset, Slice dst) {
        copyIn("upload", Pointer.to(src).withByteOffset((long) srcOffset * 4), ptr(dst), (long) dst.length() * 4);
    }

    @Override
    protected void doUpload(int[] src, int srcOffset, Slice dst) {
        copyIn("upload", Pointer.to(src).withByteOffset((long) srcOffset * 4), ptr(dst), (long) dst.length() * 4);
    }

    @Override
    protected void doUpload(byte[] src, int srcOffset, Slice dst) {
        copyIn("upload", Pointer.to(src).withByteOffset(srcOffset), ptr(dst), dst.length());
    }

    /**
     * Host to device, ordered after every op issued before. From pageable (Java) memory the driver stages the
     * data before returning; the stream is synchronised anyway so that the Java array is free to change.
     */
    private void copyIn(String op, Pointer src, CUdeviceptr dst, long bytes) {
        noCapture(op);
        if (bytes == 0) {
            return;
        }
        try {
            cuMemcpyHtoDAsync(dst, src, bytes, stream);
            cuStreamSynchronize(stream);
        } catch (CudaException e) {
            throw fail(op, bytes + " bytes", e);
        }
    }

    @Override
    protected void doDownload(Slice src, float[] dst, int dstOffset) {
        copyOut(Pointer.to(dst).withByteOffset((long) dstOffset * 4), ptr(src), (long) src.length() * 4);
    }

    @Override
    protected void doDownload(Slice src, int[] dst, int dstOffset) {
        copyOut(Pointer.to(dst).withByteOffset((long) dstOffset * 4), ptr(src), (long) src.length() * 4);
    }

    private void copyOut(Pointer dst, CUdeviceptr src, long bytes) {
        noCapture("download");
        try {
            if (bytes > 0) {
                cuMemcpyDtoHAsync(dst, src, bytes, stream);
            }
            cuStreamSynchronize(stream);
        } catch (CudaException e) {
            throw fail("download", bytes + " bytes", e);
        }
        checkDeviceErrors();
    }

    @Override
    protected void doFill(Slice x, float value) {
        if (x.length() == 0) {
            return;
        }
        try {
            cuMemsetD32Async(ptr(x), Float.floatToRawIntBits(value), x.length(), stream);
            afterOp();
        } catch (CudaException e) {
            throw fail("fill", x + ", value=" + value, e);
        }
    }

    @Override
    protected void doCopy(Slice src, Slice dst) {
        if (src.length() == 0) {
            return;
        }
        try {
            cuMemcpyDtoDAsync(ptr(dst), ptr(src), (long) src.length() * src.dtype().bytes(), stream);
            afterOp();
        } catch (CudaException e) {
            throw fail("copy", src + " -> " + dst, e);
        }
    }

    @Override
    protected void doSynchronize() {
        noCapture("synchronize");
        try {
            cuStreamSynchronize(stream);
        } catch (CudaException e) {
            throw fail("synchronize", "", e);
        }
        checkDeviceErrors();
    }

    /**
     * Reads the control block's error words after the stream has drained, and throws for the first bad value a
     * kernel met (then clears it, so the backend stays usable).
     */
    private void checkDeviceErrors() {
        if (!errorsPending) {
            return;
        }
        int[] err = new int[4];
        try {
            cuMemcpyDtoHAsync(Pointer.to(err), control, 16, stream);
            cuStreamSynchronize(stream);
            errorsPending = false;
            if (err[0] == 0) {
                return;
            }
            cuMemsetD32Async(control, 0, 4, stream);
            cuStreamSynchronize(stream);
        } catch (CudaException e) {
            throw fail("synchronize", "reading the device's error block", e);
        }
        String reported = " (found on the device by an op issued before this "
                + "download/synchronize; its row was skipped)";
        switch (err[0]) {
            case ERROR_GATHER_ROW:
                throw new IllegalArgumentException(badIndex("gather", err[2], err[1], err[3]) + reported);
            case ERROR_GATHER_BATCH:
                throw new IllegalArgumentException("gather: counters[COUNTER_BATCH] = " + err[1]
                        + " with batch size " + err[2] + " reads past the " + err[3]
                        + " positions available (or is negative)" + reported);
            case ERROR_LABEL:
                throw new IllegalArgumentException(badLabel("softmaxCrossEntropy", err[1], err[2], err[3])
                        + reported);
            default:
                throw new IllegalStateException("cuda: a kernel reported unknown error code " + err[0]
                        + " (value " + err[1] + ", detail " + err[2] + ", limit " + err[3] + ")");
        }
    }

    // ================================================================== dense algebra

    @Override
    protected void doGemm(boolean transA, boolean transB, int m, int n, int k,
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
                    cuMemsetD32Async(pc, 0, (long) m * n, stream);
                } else if (beta != 1f) {
                    JCublas2.cublasSscal(cublas, m * n, Pointer.to(new float[] {beta}), pc, 1);
                }
                afterOp();
                return;
            }
            issueGemm(gemmPath(transA, transB, m, n, k, pa, pb), transA, transB, m, n, k, alpha, pa, pb, beta, pc);
            afterOp();
        } catch (CudaException e) {
            throw fail("gemm", "transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k
                    + ", alpha=" + alpha + ", beta=" + beta, e);
        }
    }

    /**
     * The path for a shape: {@link #GEMM_CUBLAS} or a {@link GemmVariant} id. Forced by {@code dendrite.cuda.gemm};
     * cuBLAS under TF32 unless "own" is forced (the own kernels are FP32 only); else the choice measured on the
     * shape's first call outside a capture: cuBLAS ("auto" only) and the own variants that suit the shape, each
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
        if (gemmMode.equals(GEMM_CUBLAS) || tf32 && !own) {
            return GEMM_CUBLAS;
        }
        String chosen = gemmTuner.choice(transA, transB, m, n, k);
        if (chosen != null) {
            return chosen;
        }
        GemmVariant rule = GemmVariant.rule(m, n, k);
        if (capturing) {
            if (!own) {
                return GEMM_CUBLAS;
            }
            // A split needs its work space, which cannot be allocated during a capture; TILE64 never splits.
            return 4 * rule.workspaceFloats(m, n, k) <= gemmWorkspaceBytes ? rule.id() : GemmVariant.TILE64.id();
        }
        List<String> candidates = new ArrayList<>();
        if (!own) {
            candidates.add(GEMM_CUBLAS);
        }
        long workspace = 0;
        for (GemmVariant v : GemmVariant.values()) {
            if (v == rule || v.suits(m, n, k)) {
                candidates.add(v.id());
                workspace = Math.max(workspace, v.workspaceFloats(m, n, k));
            }
        }
        ensureGemmWorkspace(4 * workspace);
        CUdeviceptr scratchC = new CUdeviceptr();
        cuMemAlloc(scratchC, 4L * m * n);
        memory.add(4L * m * n);
        try {
            cuMemsetD32Async(scratchC, 0, (long) m * n, stream);
            return gemmTuner.tune(transA, transB, m, n, k, candidates,
                    (path, calls) -> timeGemm(() -> {
                        for (int i = 0; i < calls; i++) {
                            issueGemm(path, transA, transB, m, n, k, 1f, pa, pb, 0f, scratchC);
                        }
                    }));
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
            gemmTuner.remember(transA, transB, m, n, k, GEMM_CUBLAS);
            return GEMM_CUBLAS;
        } finally {
            cuStreamSynchronize(stream);
            cuMemFree(scratchC);
            memory.add(-4L * m * n);
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
            if (recordsGraphs()) {
                CUgraph recorded = new CUgraph();
                cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
                capturing = true; // nothing may wait or allocate meanwhile, as in a real capture
                try {
                    products.run();
                } finally {
                    capturing = false;
                    cuStreamEndCapture(stream, recorded);
                }
                graph = recorded;
                CUgraphExec instance = new CUgraphExec();
                cuGraphInstantiate(instance, graph, 0L);
                exec = instance;
                cuGraphLaunch(exec, stream);
                cuEventRecord(start, stream);
                cuGraphLaunch(exec, stream);
            } else {
                cuEventRecord(start, stream);
                products.run();
            }
            cuEventRecord(stop, stream);
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
            JCublas2.cublasSgemm(cublas, g.transa, g.transb, g.m, g.n, g.k, Pointer.to(new float[] {alpha}),
                    pb, g.lda, pa, g.ldb, Pointer.to(new float[] {beta}), pc, g.ldc);
            return;
        }
        // The twin of OpenClBackend.enqueueGemm: the same kernels, groups and second pass.
        GemmVariant v = GemmVariant.byId(path);
        int[] groups = v.groups(m, n, k);
        if (v == GemmVariant.SIMPLE) {
            launchGrid(CudaKernel.GEMM_SIMPLE, groups[0], groups[1], 1, v.threadsX(), v.threadsY(), transA ? 1 : 0,
                    transB ? 1 : 0, m, n, k, alpha, pa, pb, beta, pc);
            return;
        }
        int splits = groups[2];
        ensureGemmWorkspace(4 * v.workspaceFloats(m, n, k));
        CUdeviceptr pw = splits > 1 ? gemmWorkspace : null;
        CudaKernel tiled = CudaKernel.gemm(v, transA, transB);
        launchGrid(tiled, groups[0], groups[1], splits, v.threadsX(), v.threadsY(), m, n, k, alpha, pa, pb, beta, pc,
                pw);
        if (splits > 1) {
            launch(CudaKernel.GEMM_FOLD, GemmVariant.foldGroups(m, n), GemmVariant.FOLD_THREADS, 1, 0, m * n, splits,
                    alpha, pw, beta, pc);
        }
    }

    /**
     * Grows the GEMM work space to at least {@code bytes}. Every work space ever allocated stays in
     * {@link #retired} until {@link #close}, because a captured graph may still use it.
     *
     * @throws IllegalStateException when it would have to grow during a capture (gemmPath prevents that)
     */
    private void ensureGemmWorkspace(long bytes) {
        if (bytes <= gemmWorkspaceBytes) {
            return;
        }
        if (capturing) {
            throw new IllegalStateException("cuda gemm: the work space would have to grow from " + gemmWorkspaceBytes
                    + " to " + bytes + " bytes during a graph capture");
        }
        long size = Math.max(bytes, 2 * gemmWorkspaceBytes);
        CUdeviceptr grown = new CUdeviceptr();
        cuMemAlloc(grown, size);
        memory.add(size);
        retired.add(grown);
        gemmWorkspace = grown;
        gemmWorkspaceBytes = size;
    }

    /**
     * Launches a kernel over a 3-D grid of {@code blockX x blockY} blocks (the GEMM kernels; {@link #launch} covers
     * 1-D grids), with the arguments checked against the kernel's signature as {@code launch} does.
     */
    private void launchGrid(CudaKernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY,
                            Object... args) {
        cuLaunchKernel(functions[kernel.ordinal()], gridX, gridY, gridZ, blockX, blockY, 1, 0, stream,
                Pointer.to(kernelParams(kernel, args)), null);
    }

    /**
     * Makes every following {@link #gemm} take {@code path} ("cublas" or a GemmVariant id; null: choose per shape
     * again), so that tests can check each variant whatever the choice would be.
     */
    void forceGemmPath(String path) {
        forcedGemmPath = path == null || path.equals(GEMM_CUBLAS) ? path : GemmVariant.byId(path).id();
    }

    /** The path {@link #gemm} measured for a shape ("cublas" or a GemmVariant id), or null before that. */
    String gemmChoice(boolean transA, boolean transB, int m, int n, int k) {
        return gemmTuner.choice(transA, transB, m, n, k);
    }

    /** {@code dendrite.cuda.gemm}: auto (the default), cublas or own. */
    private static String gemmModeProperty(String value) {
        String mode = value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        if (!mode.equals("auto") && !mode.equals(GEMM_CUBLAS) && !mode.equals("own")) {
            throw new IllegalArgumentException("-Ddendrite.cuda.gemm=" + value + " is not auto, cublas or own");
        }
        return mode;
    }

    @Override
    protected void doColumnSums(Slice x, int rows, int cols, Slice out) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr po = ptr(out);
        if (cols == 0) {
            return;
        }
        try {
            launchColumnSums(px, rows, cols, po);
        } catch (CudaException e) {
            throw fail("columnSums", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    private void launchColumnSums(CUdeviceptr x, int rows, int cols, CUdeviceptr out) {
        launch(CudaKernel.COLUMN_SUMS, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0, x, rows, cols, out);
    }

    // ================================================================== activations

    @Override
    protected void doBiasActivationForward(Slice z, Slice bias, int rows, int cols,
                                           ActivationFunction f, float alpha, Slice y) {
        long total = (long) rows * cols;
        CUdeviceptr pz = ptr(z);
        CUdeviceptr py = ptr(y);
        CUdeviceptr pbias = ptr(bias);
        if (total == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                launch(CudaKernel.SOFTMAX_FORWARD, rowGrid(rows, false), BLOCK, 1, 0, pz, pbias, rows, cols, py);
            } else if (f == ActivationFunction.LINEAR && bias == null) {
                if (!sameElements(z, y)) {
                    cuMemcpyDtoDAsync(py, pz, total * 4, stream);
                    afterOp();
                }
            } else {
                launch(CudaKernel.BIAS_ACTIVATION_FORWARD, elementGrid(total), BLOCK, 1, 0,
                        pz, pbias, rows, cols, activationCode(f), alpha, py);
            }
        } catch (CudaException e) {
            throw fail("biasActivationForward", "rows=" + rows + ", cols=" + cols + ", " + f + ", bias="
                    + (bias != null), e);
        }
    }

    @Override
    protected void doActivationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                        ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        long total = (long) rows * cols;
        CUdeviceptr pz = ptr(z);
        CUdeviceptr py = ptr(y);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pdz = ptr(dz);
        CUdeviceptr pdb = ptr(dbias);
        if (cols == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                if (rows > 0) {
                    launch(CudaKernel.SOFTMAX_BACKWARD, rowGrid(rows, false), BLOCK, 1, 0, py, pdy, pdz, rows, cols);
                }
                if (pdb != null) {
                    launchColumnSums(pdz, rows, cols, pdb);
                }
            } else if (pdb != null) {
                launch(CudaKernel.ACTIVATION_BACKWARD_BIAS, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                        pz, pdy, pdz, pdb, rows, cols, activationCode(f), alpha);
            } else if (total > 0) {
                if (f == ActivationFunction.LINEAR) {
                    if (!sameElements(dy, dz)) {
                        cuMemcpyDtoDAsync(pdz, pdy, total * 4, stream);
                        afterOp();
                    }
                } else {
                    launch(CudaKernel.ACTIVATION_BACKWARD, elementGrid(total), BLOCK, 1, 0,
                            pz, pdy, pdz, (int) total, activationCode(f), alpha);
                }
            }
        } catch (CudaException e) {
            throw fail("activationBackward", "rows=" + rows + ", cols=" + cols + ", " + f + ", dbias="
                    + (dbias != null), e);
        }
    }

    // ================================================================== losses

    @Override
    protected void doSoftmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                         Slice probs, Slice dlogits, float gradScale, Slice stats) {
        CUdeviceptr pz = ptr(logits);
        CUdeviceptr pl = ptr(labels);
        CUdeviceptr pp = ptr(probs);
        CUdeviceptr pg = ptr(dlogits);
        CUdeviceptr ps = ptr(stats);
        if (rows == 0) {
            return;
        }
        try {
            if (sparseLabels) {
                launch(CudaKernel.SOFTMAX_XENT_SPARSE, rowGrid(rows, true), BLOCK, 1, 0,
                        pz, pl, rows, cols, pp, pg, gradScale, ps, control);
                errorsPending = true;
            } else {
                launch(CudaKernel.SOFTMAX_XENT_DENSE, rowGrid(rows, true), BLOCK, 1, 0,
                        pz, pl, rows, cols, pp, pg, gradScale, ps, control);
            }
        } catch (CudaException e) {
            throw fail("softmaxCrossEntropy", "rows=" + rows + ", cols=" + cols + ", sparse=" + sparseLabels, e);
        }
    }

    @Override
    protected void doSigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols,
                                         Slice probs, Slice dlogits, float gradScale, Slice stats) {
        long total = (long) rows * cols;
        CUdeviceptr pz = ptr(logits);
        CUdeviceptr pt = ptr(targets);
        CUdeviceptr pp = ptr(probs);
        CUdeviceptr pg = ptr(dlogits);
        CUdeviceptr ps = ptr(stats);
        if (total == 0) {
            return;
        }
        try {
            launch(CudaKernel.SIGMOID_XENT, statGrid(total), BLOCK, 1, 0,
                    pz, pt, (int) total, 1f / cols, pp, pg, gradScale / cols, ps, control);
        } catch (CudaException e) {
            throw fail("sigmoidCrossEntropy", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doMeanSquaredError(Slice pred, Slice targets, int rows, int cols,
                                      Slice dpred, float gradScale, Slice stats) {
        CUdeviceptr px = ptr(pred);
        CUdeviceptr pt = ptr(targets);
        CUdeviceptr pg = ptr(dpred);
        CUdeviceptr ps = ptr(stats);
        if (rows == 0) {
            return;
        }
        try {
            launch(CudaKernel.MEAN_SQUARED_ERROR, rowGrid(rows, true), BLOCK, 1, 0,
                    px, pt, rows, cols, pg, 2f * gradScale / cols, ps, control);
        } catch (CudaException e) {
            throw fail("meanSquaredError", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    // ================================================================== regularisation

    @Override
    protected void doRegularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        CUdeviceptr pw = ptr(w);
        CUdeviceptr pg = ptr(grad);
        if (n == 0) {
            return;
        }
        try {
            launch(CudaKernel.REGULARIZER_GRADIENT, elementGrid(n), BLOCK, 1, 0, pw, pg, n, l1, l2);
        } catch (CudaException e) {
            throw fail("regularizerGradient", "n=" + n, e);
        }
    }

    @Override
    protected void doRegularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        CUdeviceptr pw = ptr(w);
        CUdeviceptr ps = ptr(stats);
        if (n == 0) {
            return;
        }
        try {
            launch(CudaKernel.REGULARIZER_PENALTY, statGrid(n), BLOCK, 1, 0, pw, n, scale * l1, scale * l2, ps,
                    control);
        } catch (CudaException e) {
            throw fail("regularizerPenalty", "n=" + n, e);
        }
    }

    // ================================================================== dropout

    @Override
    protected void doDropout(String op, Slice in, Slice out, int n, float rate, long seed, int philoxStream,
                             Slice counters) {
        CUdeviceptr pin = ptr(in);
        CUdeviceptr pout = ptr(out);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            if (rate == 0f) {
                if (!sameElements(in, out)) {
                    cuMemcpyDtoDAsync(pout, pin, (long) n * 4, stream);
                    afterOp();
                }
                return;
            }
            // A thread per Philox block of four elements.
            launch(CudaKernel.DROPOUT, elementGrid((n + 3L) / 4), BLOCK, 1, 0, pin, pout, n, rate, (int) seed,
                    (int) (seed >>> 32), philoxStream, pc);
        } catch (CudaException e) {
            throw fail(op, "n=" + n + ", rate=" + rate, e);
        }
    }

    // ================================================================== batch normalisation

    @Override
    protected void doBatchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                              float momentum, Slice runningMean, Slice runningVar,
                                              Slice y, Slice saveMean, Slice saveInvStd) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr pg = ptr(gamma);
        CUdeviceptr pb = ptr(beta);
        CUdeviceptr prm = ptr(runningMean);
        CUdeviceptr prv = ptr(runningVar);
        CUdeviceptr py = ptr(y);
        CUdeviceptr psm = ptr(saveMean);
        CUdeviceptr psi = ptr(saveInvStd);
        if (cols == 0) {
            return;
        }
        try {
            launch(CudaKernel.BATCHNORM_FORWARD_TRAINING, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                    px, rows, cols, pg, pb, eps, momentum, prm, prv, py, psm, psi);
        } catch (CudaException e) {
            throw fail("batchNormForwardTraining", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doBatchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                               Slice runningMean, Slice runningVar, Slice y) {
        long total = (long) rows * cols;
        CUdeviceptr px = ptr(x);
        CUdeviceptr pg = ptr(gamma);
        CUdeviceptr pb = ptr(beta);
        CUdeviceptr prm = ptr(runningMean);
        CUdeviceptr prv = ptr(runningVar);
        CUdeviceptr py = ptr(y);
        if (total == 0) {
            return;
        }
        try {
            launch(CudaKernel.BATCHNORM_FORWARD_INFERENCE, elementGrid(total), BLOCK, 1, 0,
                    px, rows, cols, pg, pb, eps, prm, prv, py);
        } catch (CudaException e) {
            throw fail("batchNormForwardInference", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doBatchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                       Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pg = ptr(gamma);
        CUdeviceptr psm = ptr(saveMean);
        CUdeviceptr psi = ptr(saveInvStd);
        CUdeviceptr pdx = ptr(dx);
        CUdeviceptr pdg = ptr(dgamma);
        CUdeviceptr pdb = ptr(dbeta);
        if (cols == 0 || (dx == null && dgamma == null && dbeta == null)) {
            return;
        }
        try {
            launch(CudaKernel.BATCHNORM_BACKWARD, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                    px, pdy, rows, cols, pg, psm, psi, pdx, pdg, pdb);
        } catch (CudaException e) {
            throw fail("batchNormBackward", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    // ================================================================== optimizers

    @Override
    protected void doSgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                               float momentum, boolean nesterov) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pv = ptr(velocity);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            launch(CudaKernel.SGD_UPDATE, elementGrid(n), BLOCK, 1, 0, pp, pg, pv, n, ph, momentum,
                    nesterov ? 1 : 0);
        } catch (CudaException e) {
            throw fail("sgdUpdate", "n=" + n, e);
        }
    }

    @Override
    protected void doAdamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                                Slice counters, float beta1, float beta2, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pm = ptr(m);
        CUdeviceptr pv = ptr(v);
        CUdeviceptr px = ptr(vMax);
        CUdeviceptr ph = ptr(hyper);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            launch(CudaKernel.ADAM_UPDATE, elementGrid(n), BLOCK, 1, 0, pp, pg, pm, pv, px, n, ph, pc, beta1, beta2,
                    eps);
        } catch (CudaException e) {
            throw fail("adamUpdate", "n=" + n + ", amsgrad=" + (vMax != null), e);
        }
    }

    @Override
    protected void doRmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                                   float rho, float momentum, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pms = ptr(ms);
        CUdeviceptr pmom = ptr(mom);
        CUdeviceptr pmg = ptr(mg);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            launch(CudaKernel.RMSPROP_UPDATE, elementGrid(n), BLOCK, 1, 0, pp, pg, pms, pmom, pmg, n, ph, rho,
                    momentum, eps);
        } catch (CudaException e) {
            throw fail("rmspropUpdate", "n=" + n, e);
        }
    }

    @Override
    protected void doAdagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pa = ptr(accumulator);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            launch(CudaKernel.ADAGRAD_UPDATE, elementGrid(n), BLOCK, 1, 0, pp, pg, pa, n, ph, eps);
        } catch (CudaException e) {
            throw fail("adagradUpdate", "n=" + n, e);
        }
    }

    // ================================================================== data movement

    @Override
    protected int maxPermutation() {
        return MAX_PERMUTATION;
    }

    @Override
    protected void doGather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows,
                            Slice scale, Slice shift, Slice out) {
        // Batch 0 was checked on the host; other batches, like the indices, on the device (the counter lives there).
        DType sd = src.dtype();
        int srcRows = src.length() / width;
        int positions = indices == null ? srcRows : indices.length();
        CUdeviceptr ps = ptr(src);
        CUdeviceptr pi = ptr(indices);
        CUdeviceptr pc = ptr(counters);
        CUdeviceptr pout = ptr(out);
        CUdeviceptr psc = ptr(scale);
        CUdeviceptr psh = ptr(shift);
        CudaKernel kernel = sd == DType.I32 ? CudaKernel.GATHER_I32
                : sd == DType.F32 ? CudaKernel.GATHER_F32 : CudaKernel.GATHER_U8;
        if (rows == 0) {
            return;
        }
        int block = Math.min(BLOCK, ceilDiv(width, 32) * 32);
        try {
            if (kernel == CudaKernel.GATHER_I32) {
                launch(kernel, rows, block, 1, 0, ps, srcRows, width, pi, positions, pc, batchSize, pout, control);
            } else {
                launch(kernel, rows, block, 1, 0, ps, srcRows, width, pi, positions, pc, batchSize, psc, psh, pout,
                        control);
            }
            errorsPending = true;
        } catch (CudaException e) {
            throw fail("gather", sd + " src, width=" + width + ", rows=" + rows + ", batchSize=" + batchSize, e);
        }
    }

    @Override
    protected void doRandomPermutation(Slice out, int n, long seed, int epoch) {
        String op = "randomPermutation";
        CUdeviceptr po = ptr(out);
        if (n == 0) {
            return;
        }
        int padded = Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1;
        try {
            CUdeviceptr keys = sortKeys(op, (long) padded * 8);
            launch(CudaKernel.PERMUTATION_KEYS, elementGrid(padded), BLOCK, 1, 0, keys, n, padded, (int) seed,
                    (int) (seed >>> 32), epoch, Philox.PERMUTATION_STREAM);
            if (padded >= 2) {
                // Bitonic network: tiles of 2 * local keys sorted in shared memory, then for every larger stage k
                // the far compare steps globally and the near ones (j <= local) in shared memory again.
                int local = Math.min(1024, padded / 2);
                int tiles = padded / (2 * local);
                int shared = 2 * local * 8;
                launch(CudaKernel.BITONIC_SORT_LOCAL, tiles, local, 1, shared, keys);
                for (int k = 4 * local; k > 0 && k <= padded; k <<= 1) {
                    for (int j = k >> 1; j >= 2 * local; j >>= 1) {
                        launch(CudaKernel.BITONIC_MERGE_GLOBAL, elementGrid(padded / 2), BLOCK, 1, 0, keys, k, j,
                                padded / 2);
                    }
                    launch(CudaKernel.BITONIC_MERGE_LOCAL, tiles, local, 1, shared, keys, k);
                }
            }
            launch(CudaKernel.PERMUTATION_WRITE, elementGrid(n), BLOCK, 1, 0, keys, n, po);
        } catch (CudaException e) {
            throw fail(op, "n=" + n + ", epoch=" + epoch, e);
        }
    }

    /** The sort-key scratch of at least {@code bytes}, grown (never shrunk) outside graph capture. */
    private CUdeviceptr sortKeys(String op, long bytes) {
        if (sortKeys != null && sortKeysBytes >= bytes) {
            return sortKeys;
        }
        noCapture(op + " (growing its scratch buffer)");
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, bytes);
            memory.add(bytes);
        } catch (CudaException e) {
            throw allocationFailure(op + " scratch", bytes, e);
        }
        if (sortKeys != null) {
            retired.add(sortKeys); // a captured graph may still use it
        }
        sortKeys = p;
        sortKeysBytes = bytes;
        return p;
    }

    @Override
    protected void doAdvanceCounters(Slice counters) {
        CUdeviceptr pc = ptr(counters);
        try {
            launch(CudaKernel.ADVANCE_COUNTERS, 1, 32, 1, 0, pc);
        } catch (CudaException e) {
            throw fail("advanceCounters", "", e);
        }
    }

    // ================================================================== graphs (used by CudaGraph)

    /**
     * Whether {@link #capture} records CUDA graphs now: unless switched off, refused once by the driver, or
     * {@code -Ddendrite.cuda.sync} waits after each op (which a capture cannot contain).
     */
    private boolean recordsGraphs() {
        return graphsEnabled && !graphsFailed && !syncEachOp;
    }

    /**
     * Records {@code ops} as one CUDA graph (stream capture), replayed by each {@link CapturedStep#run()} with one
     * {@code cuGraphLaunch}: the engine's whole training step costs one host call. With
     * {@code -Ddendrite.cuda.graphs=false} the step is issued op by op instead, for comparison and debugging.
     */
    @Override
    public CapturedStep capture(Runnable ops) {
        if (!recordsGraphs()) {
            return CapturedStep.eager(ops);
        }
        try {
            return CudaGraph.capture(this, ops);
        } catch (CudaBackendException e) {
            // A driver that refuses the capture (not a bad argument: those are IllegalArgumentExceptions and
            // propagate) must not stop training. Nothing recorded ran, so issuing the ops directly is correct.
            graphsFailed = true;
            System.err.println("cuda: recording the training step as a CUDA graph failed (" + e.getMessage()
                    + "); issuing its ops one by one from now on. -Ddendrite.cuda.graphs=false skips the attempt.");
            return CapturedStep.eager(ops);
        }
    }

    CUstream stream() {
        return stream;
    }

    // ================================================================== device timing of ops (DeviceOpTimer)

    /** A started or finished op timing: its events and, once ended, the key it is charged to. */
    private record OpTiming(CUevent start, CUevent stop, String key) {
    }

    /** Every event made for op timing (destroyed by close()), the idle ones, and timings not yet read. */
    private final List<CUevent> opEvents = new ArrayList<>();
    private final java.util.ArrayDeque<CUevent> freeOpEvents = new java.util.ArrayDeque<>();
    private final List<OpTiming> pendingOpTimes = new ArrayList<>();
    /** Start events of ops begun and not yet ended, by token. */
    private final java.util.Map<Integer, CUevent> openOpStarts = new java.util.HashMap<>();
    private int nextOpToken;
    private final java.util.Map<String, long[]> drainedOpTimes = new java.util.LinkedHashMap<>();
    /** Timings kept unread before they are read in one wait: bounds the events in use. */
    private static final int MAX_PENDING_OP_TIMES = 1024;

    private CUevent opEvent() {
        CUevent e = freeOpEvents.poll();
        if (e == null) {
            e = new CUevent();
            cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
            opEvents.add(e);
        }
        return e;
    }

    /** Records a start event on the stream (not during a capture, where it returns -1 and times nothing). */
    @Override
    public int begin() {
        ensureOpen();
        if (capturing) {
            return -1;
        }
        CUevent e = opEvent();
        cuEventRecord(e, stream);
        int token = nextOpToken++ & Integer.MAX_VALUE;
        openOpStarts.put(token, e);
        return token;
    }

    @Override
    public void end(int token, String key) {
        if (token < 0 || capturing) {
            return;
        }
        CUevent start = openOpStarts.remove(token);
        if (start == null) {
            throw new IllegalArgumentException("cuda: no op timing was begun with token " + token);
        }
        CUevent stop = opEvent();
        cuEventRecord(stop, stream);
        pendingOpTimes.add(new OpTiming(start, stop, key));
        if (pendingOpTimes.size() >= MAX_PENDING_OP_TIMES) {
            readOpTimes();
        }
    }

    @Override
    public void drain(java.util.Map<String, long[]> into) {
        readOpTimes();
        drainedOpTimes.forEach((k, v) -> {
            long[] t = into.computeIfAbsent(k, x -> new long[2]);
            t[0] += v[0];
            t[1] += v[1];
        });
        drainedOpTimes.clear();
    }

    /** Waits for the pending timings' last event and adds their elapsed times to {@link #drainedOpTimes}. */
    private void readOpTimes() {
        if (pendingOpTimes.isEmpty()) {
            return;
        }
        bind();
        cuEventSynchronize(pendingOpTimes.get(pendingOpTimes.size() - 1).stop());
        float[] ms = new float[1];
        for (OpTiming t : pendingOpTimes) {
            cuEventElapsedTime(ms, t.start(), t.stop());
            long[] v = drainedOpTimes.computeIfAbsent(t.key(), x -> new long[2]);
            v[0]++;
            v[1] += Math.round(ms[0] * 1e6);
            freeOpEvents.add(t.start());
            freeOpEvents.add(t.stop());
        }
        pendingOpTimes.clear();
    }

    @Override
    public long peakDeviceBytes() {
        return memory.peak();
    }

    /** CUDA graphs launched on this backend so far: how a test or a benchmark sees that steps were replayed. */
    public long graphLaunches() {
        return graphLaunches;
    }

    /** Marks the start of a capture on this backend's stream (CudaGraph calls the driver). */
    void captureStarted(CudaGraph graph) {
        ensureOpen();
        if (capturing) {
            throw new IllegalStateException("cuda: a graph capture is already in progress on this backend");
        }
        capturing = true;
        synchronized (graphs) {
            graphs.add(graph);
        }
    }

    void captureEnded() {
        capturing = false;
    }

    /** A replayed graph may contain kernels that report device-side errors. */
    void graphLaunched() {
        graphLaunches++;
        errorsPending = true;
        if (syncEachOp) {
            try {
                cuStreamSynchronize(stream);
            } catch (CudaException e) {
                throw fail("CudaGraph.launch", "", e);
            }
        }
    }

    void forget(CudaGraph graph) {
        synchronized (graphs) {
            graphs.remove(graph);
        }
    }

    /** Makes the backend's context current on the calling thread (cheap when it already is). */
    void bind() {
        Thread t = Thread.currentThread();
        if (boundThread != t) {
            cuCtxSetCurrent(context);
            boundThread = t;
        }
    }

    @Override
    protected void ensureOpen() {
        super.ensureOpen();
        bind();
    }

    boolean isCapturing() {
        return capturing;
    }

    private void noCapture(String op) {
        if (capturing) {
            throw new IllegalStateException("cuda " + op + " cannot run while a CUDA graph is being captured: "
                    + "it waits for the device, copies from the host or allocates; do it before begin() or after end()");
        }
    }

    /**
     * The device address of a slice that checks has passed (so an open CudaBuffer of this backend), or null (a
     * null device pointer) for a null, optional slice.
     */
    private static CUdeviceptr ptr(Slice s) {
        return s == null ? null : ((CudaBuffer) s.buffer()).at(s.offset());
    }

    // ================================================================== lifecycle

    /** Frees every buffer, graph, the kernels, the stream and the cuBLAS handle, and releases the context. */
    @Override
    public void close() {
        synchronized (buffers) {
            if (closed) {
                return;
            }
            closed = true;
        }
        releaseEverything();
    }

    private void releaseEverything() {
        List<String> problems = new ArrayList<>();
        if (contextRetained) {
            attempt(problems, "cuCtxSetCurrent", () -> cuCtxSetCurrent(context));
        }
        if (streamCreated) {
            attempt(problems, "cuStreamSynchronize", () -> cuStreamSynchronize(stream));
        }
        List<CudaGraph> openGraphs;
        synchronized (graphs) {
            openGraphs = new ArrayList<>(graphs);
            graphs.clear();
        }
        for (CudaGraph g : openGraphs) {
            attempt(problems, "CudaGraph.close", g::destroy);
        }
        List<CudaBuffer> open;
        synchronized (buffers) {
            open = new ArrayList<>(buffers);
            buffers.clear();
        }
        for (CudaBuffer b : open) {
            b.markClosed();
            if (b.bytes() > 0) {
                attempt(problems, "cuMemFree", () -> cuMemFree(b.pointer()));
            }
        }
        if (sortKeys != null) {
            retired.add(sortKeys);
            sortKeys = null;
        }
        for (CUdeviceptr p : retired) {
            attempt(problems, "cuMemFree", () -> cuMemFree(p));
        }
        retired.clear();
        for (CUevent e : opEvents) {
            attempt(problems, "cuEventDestroy", () -> cuEventDestroy(e));
        }
        opEvents.clear();
        freeOpEvents.clear();
        pendingOpTimes.clear();
        openOpStarts.clear();
        if (cublasCreated) {
            attempt(problems, "cublasDestroy", () -> JCublas2.cublasDestroy(cublas));
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
            attempt(problems, "cuStreamDestroy", () -> cuStreamDestroy(stream));
            streamCreated = false;
        }
        if (contextRetained) {
            attempt(problems, "cuDevicePrimaryCtxRelease", () -> cuDevicePrimaryCtxRelease(device));
            contextRetained = false;
        }
        boundThread = null;
        if (!problems.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "cuda backend close: " + String.join("; ", problems));
        }
    }

    private static void attempt(List<String> problems, String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            problems.add(what + ": " + e.getMessage());
        }
    }

    private static void freeQuietly(CUdeviceptr p) {
        try {
            cuMemFree(p);
        } catch (CudaException ignored) {
            // already failing; the caller reports the first error
        }
    }

    @Override
    public String toString() {
        return closed ? "cuda (closed)" : description();
    }

    // ================================================================== launching

    /**
     * Launches a kernel on the stream. Arguments: a {@link CUdeviceptr}, null (a null device pointer), an
     * {@link Integer} or a {@link Float}, in the kernel's parameter order.
     */
    private void launch(CudaKernel kernel, int gridX, int blockX, int blockY, int sharedBytes, Object... args) {
        cuLaunchKernel(functions[kernel.ordinal()], gridX, 1, 1, blockX, blockY, 1, sharedBytes, stream,
                Pointer.to(kernelParams(kernel, args)), null);
        afterOp();
    }

    /**
     * The kernel parameters for {@code args}, checked against the kernel's signature: a {@link CUdeviceptr} or null
     * (a null device pointer) for 'P', an {@link Integer} for 'I', a {@link Float} for 'F'.
     */
    private static NativePointerObject[] kernelParams(CudaKernel kernel, Object[] args) {
        String signature = kernel.signature();
        if (args.length != signature.length()) {
            throw new IllegalStateException("launch " + kernel.symbol() + ": " + args.length
                    + " arguments; its signature " + signature + " has " + signature.length());
        }
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            char want = signature.charAt(i);
            if (want == 'P' && a == null) {
                params[i] = Pointer.to(new long[] {0L});
            } else if (want == 'P' && a instanceof CUdeviceptr) {
                params[i] = Pointer.to((CUdeviceptr) a);
            } else if (want == 'I' && a instanceof Integer) {
                params[i] = Pointer.to(new int[] {(Integer) a});
            } else if (want == 'F' && a instanceof Float) {
                params[i] = Pointer.to(new float[] {(Float) a});
            } else {
                throw new IllegalStateException("launch " + kernel.symbol() + ": argument " + i + " is "
                        + (a == null ? "null" : a.getClass().getSimpleName()) + " but the signature " + signature
                        + " wants " + want);
            }
        }
        return params;
    }

    /** With -Ddendrite.cuda.sync=true, waits for the op just issued so that its own failure is reported. */
    private void afterOp() {
        if (syncEachOp && !capturing) {
            cuStreamSynchronize(stream);
        }
    }

    /** Blocks of 256 for a grid-stride loop over n elements: enough to fill the GPU, no more. */
    private int elementGrid(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
    }

    /** Like elementGrid, for kernels whose per-block partials live in the control block. */
    private int statGrid(long n) {
        return Math.min(elementGrid(n), MAX_STAT_BLOCKS);
    }

    /** Blocks of 8 warps for the warp-per-row kernels. */
    private int rowGrid(int rows, boolean stats) {
        int grid = Math.max(1, Math.min(ceilDiv(rows, ROWS_PER_BLOCK), maxGrid));
        return stats ? Math.min(grid, MAX_STAT_BLOCKS) : grid;
    }

    /** Row-threads of a column-tile block: a power of two, at most TILE_ROWS, no more than the rows. */
    private static int tileRows(int rows) {
        int t = 1;
        while (t < TILE_ROWS && t < rows) {
            t <<= 1;
        }
        return t;
    }

    private static int ceilDiv(long a, int b) {
        return (int) ((a + b - 1) / b);
    }

    private RuntimeException fail(String op, String args, CudaException e) {
        String err = String.valueOf(e.getMessage());
        boolean sticky = err.contains("ILLEGAL_ADDRESS") || err.contains("LAUNCH_FAILED")
                || err.contains("ILLEGAL_INSTRUCTION") || err.contains("MISALIGNED") || err.contains("HARDWARE");
        return new CudaBackendException("cuda " + op + "(" + args + ") failed: " + err
                + (sticky && !syncEachOp ? " (the fault may come from an earlier asynchronous op; run with "
                + "-Ddendrite.cuda.sync=true to find it; the CUDA context is unusable after this error)" : ""), e);
    }

    // ================================================================== validation

    private static boolean sameElements(Slice a, Slice b) {
        return a.buffer() == b.buffer() && a.offset() == b.offset();
    }
}
