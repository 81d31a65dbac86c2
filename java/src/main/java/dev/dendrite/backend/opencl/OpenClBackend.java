package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.KernelCodes.ERROR_GATHER_BATCH;
import static dev.dendrite.backend.KernelCodes.ERROR_GATHER_ROW;
import static dev.dendrite.backend.KernelCodes.ERROR_LABEL;
import static dev.dendrite.backend.KernelCodes.ERROR_WORDS;
import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.OpChecks.badIndex;
import static dev.dendrite.backend.OpChecks.badLabel;
import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_INVALID_BUFFER_SIZE;
import static org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_OUT_OF_HOST_MEMORY;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueCopyBuffer;
import static org.jocl.CL.clEnqueueFillBuffer;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clFlush;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseMemObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.DeviceErrors;
import dev.dendrite.backend.DeviceMemoryMeter;
import dev.dendrite.backend.GemmTuner;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.AbstractBackend;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.Slice;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;

/**
 * The OpenCL {@link Backend}: device memory through JOCL and hand-written OpenCL C kernels
 * ({@code kernels/opencl/*.cl}, sharing their math with the CUDA kernels through {@code kernels/common/*.h}),
 * built at run time for the chosen device.
 *
 * <p><b>Device.</b> The no-argument constructor takes the device named by the system property
 * {@value OpenClDevice#PROPERTY} (or the environment variable {@value OpenClDevice#ENVIRONMENT}): an index
 * into {@link OpenClDevice#all()} or part of its name. Without one it prefers GPUs, then accelerators, then
 * CPUs. When no device can be used the constructor throws {@link UnsupportedOperationException} saying why.
 *
 * <p><b>Asynchrony.</b> Every op is enqueued, without waiting, on one in-order command queue, so a training
 * step never waits for the device; only {@link #download}, {@link #synchronize} and {@link #allocate} (which
 * checks that the memory really exists) wait. Uploads are blocking writes: they run after everything issued
 * before them, and the host array may be reused as soon as they return.
 *
 * <p><b>Errors.</b> Arguments the host can see are validated when an op is issued, as the CPU backend does:
 * {@link IllegalArgumentException} naming the op, the argument and what was expected; a closed buffer or
 * backend gives {@link IllegalStateException}. Values that live in device memory (sparse labels, shuffle
 * indices, the batch counter) are checked by the kernels, which skip a bad element and record it; the next
 * {@link #download} or {@link #synchronize} then throws {@link IllegalArgumentException} naming the value.
 * A failing OpenCL call throws {@link OpenClException} naming the op, its shapes and the OpenCL error; an
 * allocation the device cannot satisfy says how many bytes were asked for and how much memory the device has.
 *
 * <p><b>Determinism.</b> Reductions (column sums, loss totals, batch statistics, penalties) use fixed
 * partitions and compensated float sums, never float atomics, so results are the same from run to run.
 *
 * <p>Like a GPU stream, one backend is meant to be driven by one thread at a time.
 */
public final class OpenClBackend extends AbstractBackend<OpenClBuffer> {
    /** Work-group size of element-wise kernels (lowered to what a kernel allows on the device). */
    private static final int GROUP = 256;
    /** Rows each work-item adds up in the first pass of a column reduction. */
    static final int ROWS_PER_CHUNK = 16;
    /** Work-items per group of a column reduction's first pass (along the columns). */
    private static final int COLUMN_GROUP = 64;
    /** Groups per compute unit of a grid-stride kernel ({@link #runStrided}). */
    private static final int STRIDED_GROUPS_PER_UNIT = 16;
    /** Upper bound on the work-groups of the regularizer penalty's first pass. */
    private static final int PENALTY_GROUPS = 64;
    /** Largest n of {@link #randomPermutation}: its keys are padded to a power of two that must fit an int. */
    static final int MAX_PERMUTATION = 1 << 30;


    private final OpenClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final OpenClPrograms programs;
    private final Set<OpenClBuffer> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Stands in for absent optional slices: kernels take a flag and never read it. */
    private final cl_mem dummy;
    /** The device-side error block of kernels/common/errors.h. */
    private final cl_mem errors;
    /** Work space of multi-pass ops, grown on demand; ops run in queue order, so one is enough. */
    private cl_mem scratch;
    private long scratchBytes;
    /** Scratch buffers outgrown since a recording may have captured them; at most about the current one's size. */
    private final List<cl_mem> retiredScratch = new ArrayList<>();
    /** Device memory this backend holds: {@link #peakDeviceBytes()}. */
    private final DeviceMemoryMeter memory = new DeviceMemoryMeter();
    /** Recorded steps not yet closed: close() releases their kernel objects. */
    private final List<OpenClRecording> recordings = new ArrayList<>();
    /** {@code -Ddendrite.opencl.record=false}: {@link #capture} returns steps that issue their ops again. */
    private final boolean recordSteps = !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.record"));
    /**
     * {@code -Ddendrite.opencl.gemm}: "auto" (the default) times the eligible GEMM variants on the first call of
     * each shape and keeps the fastest; "rule" takes {@link GemmVariant#rule} without timing; a variant id
     * ({@code simple}, {@code tile64}, {@code large}, {@code small}) forces that one, for debugging and benchmarks.
     */
    private final String gemmProperty = System.getProperty("dendrite.opencl.gemm", "auto");
    private GemmVariant forcedGemm = forcedGemmProperty(gemmProperty);
    private final boolean measureGemm = !gemmProperty.trim().equalsIgnoreCase("rule");
    private final GemmTuner<GemmVariant> gemmTuner = new GemmTuner<>("opencl");
    private final Map<GemmVariant, Boolean> gemmRunnable = new EnumMap<>(GemmVariant.class);

    /**
     * A backend on the device chosen by {@value OpenClDevice#PROPERTY} / {@value OpenClDevice#ENVIRONMENT}, or
     * the preferred device.
     *
     * @throws UnsupportedOperationException when OpenCL or a device is not available, saying why
     * @throws IllegalArgumentException when the configured device does not exist
     */
    public OpenClBackend() {
        this(OpenClDevice.configuredSelector());
    }

    /**
     * A backend on the device {@code selector} names: an index into {@link OpenClDevice#all()} or a
     * case-insensitive part of {@code "<platform> / <device>"}; null or blank picks the preferred device.
     */
    public OpenClBackend(String selector) {
        this(OpenClDevice.select(selector));
    }

    /** A backend on {@code device}. */
    public OpenClBackend(OpenClDevice device) {
        super(OpenClBuffer.class);
        if (device == null) {
            throw new IllegalArgumentException("device is null; expected one of OpenClDevice.all()");
        }
        this.device = device;
        cl_context ctx = null;
        cl_command_queue q = null;
        cl_mem d = null;
        cl_mem e = null;
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, device.platform);
            ctx = clCreateContext(props, 1, new cl_device_id[] {device.device}, null, null, null);
            q = createQueue(ctx, device);
            d = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 16, null, null);
            e = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4L * ERROR_WORDS, null, null);
            clEnqueueFillBuffer(q, e, Pointer.to(new int[] {0}), 4, 0, 4L * ERROR_WORDS, 0, null, null);
            clFinish(q);
        } catch (CLException ex) {
            releaseQuietly(e, d, q, ctx);
            throw new UnsupportedOperationException("OpenCL device " + device.label() + " could not be opened: "
                    + CL.stringFor_errorCode(ex.getStatus()), ex);
        }
        this.context = ctx;
        this.queue = q;
        this.dummy = d;
        this.errors = e;
        this.programs = new OpenClPrograms(ctx, device);
    }

    /**
     * An in-order queue without profiling. clCreateCommandQueue is deprecated from OpenCL 2.0 on, but it is the
     * one call that works on 1.x devices too, and every 2.x/3.x runtime still provides it.
     */
    @SuppressWarnings("deprecation")
    private static cl_command_queue createQueue(cl_context ctx, OpenClDevice device) {
        return clCreateCommandQueue(ctx, device.device, 0, null);
    }

    private static void releaseQuietly(cl_mem e, cl_mem d, cl_command_queue q, cl_context ctx) {
        try {
            if (e != null) {
                clReleaseMemObject(e);
            }
            if (d != null) {
                clReleaseMemObject(d);
            }
            if (q != null) {
                clReleaseCommandQueue(q);
            }
            if (ctx != null) {
                clReleaseContext(ctx);
            }
        } catch (CLException ignored) {
            // Already failing: the original error is the one worth reporting.
        }
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public boolean runsOnHostCpu() {
        return "CPU".equals(device().typeName());
    }

    @Override
    public String description() {
        return "opencl: " + device.label() + " (" + device.typeName() + ", " + device.computeUnits()
                + " compute units, " + (device.globalMemoryBytes() >> 20) + " MiB global memory)";
    }

    /** The device this backend runs on. */
    public OpenClDevice device() {
        return device;
    }

    /** Number of buffers allocated and not yet closed (for leak checks). */
    public int openBuffers() {
        synchronized (buffers) {
            return buffers.size();
        }
    }

    /** The program cache (for tests that build their own sources). */
    OpenClPrograms programs() {
        return programs;
    }

    // ================================================================== memory

    @Override
    protected Buffer doAllocate(DType dtype, int length) {
        noRecording("allocate");
        long bytes = (long) length * dtype.bytes();
        cl_mem mem = null;
        if (length > 0) {
            if (bytes > device.maxAllocationBytes()) {
                throw outOfMemory(dtype, length, bytes, "the device's largest single allocation is "
                        + device.maxAllocationBytes() + " bytes", CL_INVALID_BUFFER_SIZE, null);
            }
            try {
                mem = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
                memory.add(bytes);
                zero(mem, 0, bytes);
                // Drivers may reserve memory lazily: waiting here makes a shortage surface as this
                // allocation's error instead of a later op's. Allocation is not on the training step's path.
                clFinish(queue);
            } catch (CLException e) {
                if (mem != null) {
                    releaseMemQuietly(mem);
                    memory.add(-bytes);
                }
                int s = e.getStatus();
                if (s == CL_MEM_OBJECT_ALLOCATION_FAILURE || s == CL_OUT_OF_RESOURCES || s == CL_OUT_OF_HOST_MEMORY
                        || s == CL_INVALID_BUFFER_SIZE) {
                    throw outOfMemory(dtype, length, bytes, CL.stringFor_errorCode(s), s, e);
                }
                throw clFailure("allocate", dtype + " x " + length, e);
            }
        }
        OpenClBuffer b = new OpenClBuffer(this, dtype, length, mem);
        synchronized (buffers) {
            if (closed) {
                if (mem != null) {
                    releaseMemQuietly(mem);
                }
                throw new IllegalStateException("opencl backend is closed");
            }
            buffers.add(b);
        }
        return b;
    }

    private OpenClException outOfMemory(DType dtype, int length, long bytes, String why, int status, Throwable cause) {
        return new OpenClException("allocate: out of device memory: " + dtype + " x " + length + " = " + bytes
                + " bytes requested on " + device.label() + ", which has " + device.globalMemoryBytes()
                + " bytes of global memory (" + why + ")", status, cause);
    }

    /** Frees one buffer (called by {@link OpenClBuffer#close()}). */
    void release(OpenClBuffer b) {
        noRecording("Buffer.close");
        synchronized (buffers) {
            if (!b.markClosed()) {
                return;
            }
            buffers.remove(b);
        }
        if (b.mem() != null) {
            try {
                // Safe with commands still queued: OpenCL frees the memory once they no longer need it.
                clReleaseMemObject(b.mem());
                memory.add(-(long) b.length() * b.dtype().bytes());
            } catch (CLException e) {
                throw clFailure("close buffer", b.toString(), e);
            }
        }
    }

    @Override
    protected void doUpload(float[] src, int srcOffset, Slice dst) {
        write(dst, Pointer.to(src).withByteOffset(4L * srcOffset));
    }

    @Override
    protected void doUpload(int[] src, int srcOffset, Slice dst) {
        write(dst, Pointer.to(src).withByteOffset(4L * srcOffset));
    }

    @Override
    protected void doUpload(byte[] src, int srcOffset, Slice dst) {
        write(dst, Pointer.to(src).withByteOffset(srcOffset));
    }

    private void write(Slice dst, Pointer host) {
        noRecording("upload");
        if (dst.length() == 0) {
            return;
        }
        int size = dst.dtype().bytes();
        try {
            // Blocking: a Java array may move once the call returns, so the copy must be done by then.
            clEnqueueWriteBuffer(queue, mem(dst), true, (long) size * dst.offset(), (long) size * dst.length(), host,
                    0, null, null);
        } catch (CLException e) {
            throw clFailure("upload", dst.length() + " elements to " + dst, e);
        }
    }

    @Override
    protected void doDownload(Slice src, float[] dst, int dstOffset) {
        read(src, Pointer.to(dst).withByteOffset(4L * dstOffset));
    }

    @Override
    protected void doDownload(Slice src, int[] dst, int dstOffset) {
        read(src, Pointer.to(dst).withByteOffset(4L * dstOffset));
    }

    private void read(Slice src, Pointer host) {
        noRecording("download");
        try {
            if (src.length() > 0) {
                clEnqueueReadBuffer(queue, mem(src), true, 4L * src.offset(), 4L * src.length(), host, 0, null,
                        null);
            } else {
                clFinish(queue);
            }
        } catch (CLException e) {
            throw clFailure("download", src.length() + " elements from " + src + " (or an op issued before it)", e);
        }
        checkDeviceErrors();
    }

    @Override
    protected void doFill(Slice x, float value) {
        if (x.length() == 0) {
            return;
        }
        try {
            cl_mem m = mem(x);
            enqueue(q -> clEnqueueFillBuffer(q, m, Pointer.to(new float[] {value}), 4, 4L * x.offset(),
                    4L * x.length(), 0, null, null));
        } catch (CLException e) {
            throw clFailure("fill", x.toString(), e);
        }
    }

    /** Enqueues zeroing {@code bytes} bytes of {@code mem} from byte {@code offset}. */
    private void zero(cl_mem mem, long offset, long bytes) {
        if (offset % 4 == 0 && bytes % 4 == 0) {
            enqueue(q -> clEnqueueFillBuffer(q, mem, Pointer.to(new int[] {0}), 4, offset, bytes, 0, null, null));
        } else {
            enqueue(q -> clEnqueueFillBuffer(q, mem, Pointer.to(new byte[] {0}), 1, offset, bytes, 0, null, null));
        }
    }

    @Override
    protected void doCopy(Slice src, Slice dst) {
        if (src.length() == 0) {
            return;
        }
        int size = src.dtype().bytes();
        try {
            cl_mem from = mem(src);
            cl_mem to = mem(dst);
            enqueue(q -> clEnqueueCopyBuffer(q, from, to, (long) size * src.offset(), (long) size * dst.offset(),
                    (long) size * src.length(), 0, null, null));
        } catch (CLException e) {
            throw clFailure("copy", src + " to " + dst, e);
        }
    }

    @Override
    protected void doSynchronize() {
        noRecording("synchronize");
        try {
            clFinish(queue);
        } catch (CLException e) {
            throw clFailure("synchronize", "an op issued before it failed on the device", e);
        }
        checkDeviceErrors();
    }

    /**
     * Reads the device-side error block (the queue has just been drained, so this costs one small read) and
     * throws for the first bad device-resident value an op met since the last check, clearing the block.
     */
    private void checkDeviceErrors() {
        int[] e = new int[ERROR_WORDS];
        try {
            clEnqueueReadBuffer(queue, errors, true, 0, 4L * ERROR_WORDS, Pointer.to(e), 0, null, null);
            if (e[0] == 0) {
                return;
            }
            zero(errors, 0, 4L * ERROR_WORDS);
            clFlush(queue);
        } catch (CLException ex) {
            throw clFailure("synchronize", "reading the device's error block", ex);
        }
        throw DeviceErrors.decode(name(), e);
    }

    // ================================================================== dense algebra

    @Override
    protected void doGemm(boolean transA, boolean transB, int m, int n, int k,
                          float alpha, Slice a, Slice b, float beta, Slice c) {
        if (m == 0 || n == 0) {
            return;
        }
        // alpha == 0 leaves C = beta * C without reading A or B, as CpuGemm does; every kernel does that for k == 0.
        int depth = alpha == 0f ? 0 : k;
        try {
            GemmVariant v = gemmVariant(transA, transB, m, n, depth, mem(a), a.offset(), mem(b), b.offset());
            enqueueGemm(v, transA, transB, m, n, depth, alpha, mem(a), a.offset(), mem(b), b.offset(), beta,
                    mem(c), c.offset());
        } catch (CLException e) {
            throw clFailure("gemm", GemmTuner.describe(transA, transB, m, n, k), e);
        }
    }

    /**
     * The variant for a shape: the forced one; else the one chosen before; else, the first time, the fastest of
     * the candidates that {@link GemmVariant#suits} the shape and run on this device, each timed on the real A and
     * B into a scratch C (a host wait, once per shape); with {@code dendrite.opencl.gemm=rule}, or when only one
     * candidate is left, {@link GemmVariant#rule} without timing. Which one wins never changes the result.
     */
    private GemmVariant gemmVariant(boolean transA, boolean transB, int m, int n, int k, cl_mem a, int ao, cl_mem b,
                                    int bo) {
        if (forcedGemm != null) {
            return requireRuns(forcedGemm);
        }
        if (k == 0) {
            return GemmVariant.SIMPLE; // C = beta * C: one pass over C, nothing to tile
        }
        GemmVariant chosen = gemmTuner.choice(transA, transB, m, n, k);
        if (chosen != null) {
            return chosen;
        }
        GemmVariant rule = GemmVariant.rule(m, n, k);
        if (!gemmRuns(rule)) {
            rule = GemmVariant.SIMPLE;
        }
        List<GemmVariant> candidates = new ArrayList<>();
        for (GemmVariant v : GemmVariant.values()) {
            if ((v == rule || v.suits(m, n, k)) && gemmRuns(v)) {
                candidates.add(v);
            }
        }
        if (programs.recording() != null) {
            return rule; // timing needs clFinish, which a recording cannot contain; the shape is tuned when issued
        }
        if (!measureGemm || candidates.size() == 1) {
            gemmTuner.remember(transA, transB, m, n, k, rule);
            return rule;
        }
        cl_mem scratchC = clCreateBuffer(context, CL_MEM_READ_WRITE, 4L * m * n, null, null);
        memory.add(4L * m * n);
        try {
            zero(scratchC, 0, 4L * m * n);
            clFinish(queue); // work issued before must not count against the first candidate
            return gemmTuner.tune(transA, transB, m, n, k, candidates, (v, calls) -> {
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    enqueueGemm(v, transA, transB, m, n, k, 1f, a, ao, b, bo, 0f, scratchC, 0);
                }
                clFinish(queue);
                return (System.nanoTime() - start) * 1e-9;
            });
        } finally {
            clReleaseMemObject(scratchC);
            memory.add(-4L * m * n);
        }
    }

    /** Enqueues one product with variant {@code v}, its second pass too when the variant splits k. */
    private void enqueueGemm(GemmVariant v, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             cl_mem a, int ao, cl_mem b, int bo, float beta, cl_mem c, int co) {
        OpenClKernel kernel = programs.kernel("gemm.cl", v.kernelName(transA, transB)).args();
        if (v == GemmVariant.SIMPLE) {
            kernel.i(transA ? 1 : 0).i(transB ? 1 : 0).i(m).i(n).i(k).f(alpha).mem(a, ao).mem(b, bo).f(beta)
                    .mem(c, co);
            // GemmVariant.SIMPLE's 16 x 16 groups, or as close as a device with smaller groups allows.
            int l0 = (int) Math.min(v.threadsX(), kernel.maxWorkGroupSize());
            int l1 = (int) Math.max(1, Math.min(v.threadsY(), kernel.maxWorkGroupSize() / l0));
            kernel.run(queue, roundUp(n, l0), roundUp(m, l1), l0, l1);
            return;
        }
        int[] groups = v.groups(m, n, k);
        cl_mem w = groups[2] > 1 ? scratch(4L * v.workspaceFloats(m, n, k)) : dummy;
        kernel.i(m).i(n).i(k).f(alpha).mem(a, ao).mem(b, bo).f(beta).mem(c, co).mem(w);
        kernel.run(queue, (long) groups[0] * v.threadsX(), (long) groups[1] * v.threadsY(), groups[2], v.threadsX(),
                v.threadsY(), 1);
        if (groups[2] > 1) {
            OpenClKernel fold = programs.kernel("gemm.cl", "gemm_fold");
            fold.args().i(m * n).i(groups[2]).f(alpha).mem(w).f(beta).mem(c, co);
            fold.run(queue, (long) GemmVariant.foldGroups(m, n) * GemmVariant.FOLD_THREADS, GemmVariant.FOLD_THREADS);
        }
    }

    /** Whether this device can run {@code v}: its work-group size and local memory. */
    private boolean gemmRuns(GemmVariant v) {
        Boolean runs = gemmRunnable.get(v);
        if (runs == null) {
            runs = v == GemmVariant.SIMPLE
                    || programs.kernel("gemm.cl", v.kernelName(false, false)).maxWorkGroupSize() >= v.threads()
                    && device.localMemoryBytes() >= v.localBytes();
            gemmRunnable.put(v, runs);
        }
        return runs;
    }

    /**
     * Makes every following {@link #gemm} use {@code v} (null: choose per shape again), so that tests can check
     * each variant whatever the choice would be.
     *
     * @throws IllegalArgumentException when this device cannot run {@code v}
     */
    void forceGemmVariant(GemmVariant v) {
        forcedGemm = v == null ? null : requireRuns(v);
    }

    /** {@code v}, if this device can run it (a forced variant may not fit). */
    private GemmVariant requireRuns(GemmVariant v) {
        if (!gemmRuns(v)) {
            throw new IllegalArgumentException("GEMM variant " + v + " needs " + v.threads() + " work-items and "
                    + v.localBytes() + " bytes of local memory per group, more than " + device.label() + " allows");
        }
        return v;
    }

    /** The variant {@link #gemm} chose for a shape (measured or by rule), or null before its first call. */
    GemmVariant gemmChoice(boolean transA, boolean transB, int m, int n, int k) {
        return gemmTuner.choice(transA, transB, m, n, k);
    }

    /** {@code dendrite.opencl.gemm}: "auto" (measure per shape), "rule", or a variant to force. */
    private static GemmVariant forcedGemmProperty(String value) {
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("auto")
                || value.trim().equalsIgnoreCase("rule")) {
            return null;
        }
        try {
            return GemmVariant.byId(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-Ddendrite.opencl.gemm=" + value + " is not auto, rule or a GEMM "
                    + "variant: " + e.getMessage(), e);
        }
    }

    @Override
    protected void doColumnSums(Slice x, int rows, int cols, Slice out) {
        try {
            columnSumsInto(mem(x), x.offset(), rows, cols, mem(out), out.offset());
        } catch (CLException e) {
            throw clFailure("columnSums", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    /** Enqueues {@code out[c] = sum_r x[r, c]}: chunk partials, then their sum (one pass when one chunk). */
    private void columnSumsInto(cl_mem x, int xo, int rows, int cols, cl_mem out, int oo) {
        if (cols == 0) {
            return;
        }
        if (rows == 0) {
            zero(out, 4L * oo, 4L * cols);
            return;
        }
        int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
        boolean direct = chunks == 1;
        cl_mem partial = direct ? out : scratch(4L * chunks * cols);
        int po = direct ? oo : 0;
        OpenClKernel k = programs.kernel("reductions.cl", "column_partial_sums");
        k.args().mem(x, xo).i(rows).i(cols).i(ROWS_PER_CHUNK).mem(partial, po);
        runColumns(k, cols, chunks);
        if (!direct) {
            finalizeColumns(partial, 0, chunks, cols, 1f, out, oo);
        }
    }

    /** Enqueues {@code out[c] = (sum over chunks of partial[chunk * width + c]) / divisor}. */
    private void finalizeColumns(cl_mem partial, int po, int chunks, int width, float divisor, cl_mem out, int oo) {
        OpenClKernel k = programs.kernel("reductions.cl", "column_finalize");
        k.args().mem(partial, po).i(chunks).i(width).f(divisor).mem(out, oo);
        run1(k, width);
    }

    // ================================================================== activations

    @Override
    protected void doBiasActivationForward(Slice z, Slice bias, int rows, int cols,
                                           ActivationFunction f, float alpha, Slice y) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                OpenClKernel k = programs.kernel("activations.cl", "softmax_forward");
                k.args().mem(mem(z), z.offset()).mem(mem(bias), offset(bias)).i(bias == null ? 0 : 1)
                        .i(rows).i(cols).mem(mem(y), y.offset());
                run1(k, rows);
            } else {
                OpenClKernel k = programs.kernel("activations.cl", "bias_activation_forward");
                k.args().mem(mem(z), z.offset()).mem(mem(bias), offset(bias)).i(bias == null ? 0 : 1)
                        .i(rows).i(cols).i(activationCode(f)).f(alpha).mem(mem(y), y.offset());
                run1(k, total);
            }
        } catch (CLException e) {
            throw clFailure("biasActivationForward", f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doActivationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                        ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        long total = (long) rows * cols;
        try {
            if (total == 0) {
                if (dbias != null && cols > 0) {
                    zero(mem(dbias), 4L * dbias.offset(), 4L * cols);
                }
                return;
            }
            if (f == ActivationFunction.SOFTMAX) {
                OpenClKernel k = programs.kernel("activations.cl", "softmax_backward");
                k.args().mem(mem(y), y.offset()).mem(mem(dy), dy.offset()).mem(mem(dz), dz.offset()).i(rows)
                        .i(cols);
                run1(k, rows);
                if (dbias != null) {
                    columnSumsInto(mem(dz), dz.offset(), rows, cols, mem(dbias), dbias.offset());
                }
                return;
            }
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            boolean direct = dbias != null && chunks == 1;
            cl_mem partial = dbias == null ? dummy : direct ? mem(dbias) : scratch(4L * chunks * cols);
            int po = direct ? dbias.offset() : 0;
            OpenClKernel k = programs.kernel("activations.cl", "activation_backward");
            k.args().mem(mem(z), z.offset()).mem(mem(dy), dy.offset()).mem(mem(dz), dz.offset()).i(rows).i(cols)
                    .i(activationCode(f)).f(alpha).i(ROWS_PER_CHUNK).mem(partial, po).i(dbias == null ? 0 : 1);
            runColumns(k, cols, chunks);
            if (dbias != null && !direct) {
                finalizeColumns(partial, 0, chunks, cols, 1f, mem(dbias), dbias.offset());
            }
        } catch (CLException e) {
            throw clFailure("activationBackward", f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    // ================================================================== losses

    @Override
    protected void doSoftmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                         Slice probs, Slice dlogits, float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = scratch(8L * rows);
            OpenClKernel k = programs.kernel("losses.cl", sparseLabels ? "softmax_xent_sparse" : "softmax_xent_dense");
            k.args().mem(mem(logits), logits.offset()).mem(mem(labels), labels.offset()).i(rows).i(cols)
                    .mem(mem(probs), probs.offset()).mem(mem(dlogits), offset(dlogits)).i(dlogits == null ? 0 : 1)
                    .f(gradScale).mem(rowStats, 0);
            if (sparseLabels) {
                k.mem(errors);
            }
            run1(k, rows);
            accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, mem(stats), stats.offset());
        } catch (CLException e) {
            throw clFailure("softmaxCrossEntropy", (sparseLabels ? "sparse" : "dense") + " labels, rows=" + rows
                    + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doSigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols,
                                         Slice probs, Slice dlogits, float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = scratch(8L * rows);
            OpenClKernel k = programs.kernel("losses.cl", "sigmoid_xent");
            k.args().mem(mem(logits), logits.offset()).mem(mem(targets), targets.offset()).i(rows).i(cols)
                    .mem(mem(probs), probs.offset()).mem(mem(dlogits), offset(dlogits)).i(dlogits == null ? 0 : 1)
                    .f((float) ((double) gradScale / cols)).mem(rowStats, 0);
            run1(k, rows);
            accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, mem(stats), stats.offset());
        } catch (CLException e) {
            throw clFailure("sigmoidCrossEntropy", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doMeanSquaredError(Slice pred, Slice targets, int rows, int cols,
                                      Slice dpred, float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = scratch(8L * rows);
            OpenClKernel k = programs.kernel("losses.cl", "mean_squared_error");
            k.args().mem(mem(pred), pred.offset()).mem(mem(targets), targets.offset()).i(rows).i(cols)
                    .mem(mem(dpred), offset(dpred)).i(dpred == null ? 0 : 1).f((float) (2.0 * gradScale / cols))
                    .mem(rowStats, 0);
            run1(k, rows);
            accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, mem(stats), stats.offset());
        } catch (CLException e) {
            throw clFailure("meanSquaredError", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    /**
     * Enqueues, in one work-group, {@code stats[0] += ca * A + cb * B} and {@code stats[1] += cc * B} with A and
     * B the sums of {@code count} values at {@code values[offset]} and {@code values[offset + bOffset]}.
     */
    private void accumulateStats(cl_mem values, int offset, int bOffset, int count, float ca, float cb, float cc,
                                 cl_mem stats, int so) {
        OpenClKernel k = programs.kernel("reductions.cl", "accumulate_stats");
        int local = powerOfTwoGroup(k, GROUP);
        k.args().mem(values, offset).mem(values, offset + bOffset).i(count).f(ca).f(cb).f(cc).mem(stats, so)
                .local(4L * local).local(4L * local);
        k.run(queue, local, local);
    }

    // ================================================================== regularisation

    @Override
    protected void doRegularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("regularizers.cl", "regularizer_gradient");
            k.args().mem(mem(w), w.offset()).mem(mem(grad), grad.offset()).i(n).f(l1).f(l2);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure("regularizerGradient", "n=" + n, e);
        }
    }

    @Override
    protected void doRegularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("regularizers.cl", "abs_square_partials");
            int local = powerOfTwoGroup(k, GROUP);
            int groups = Math.min(PENALTY_GROUPS, ceilDiv(n, local));
            cl_mem partial = scratch(8L * groups);
            k.args().mem(mem(w), w.offset()).i(n).mem(partial, 0).local(4L * local).local(4L * local);
            k.run(queue, (long) groups * local, local);
            accumulateStats(partial, 0, groups, groups, (float) ((double) scale * l1), (float) ((double) scale * l2),
                    0f, mem(stats), stats.offset());
        } catch (CLException e) {
            throw clFailure("regularizerPenalty", "n=" + n, e);
        }
    }

    // ================================================================== dropout

    @Override
    protected void doDropout(String op, Slice in, Slice out, int n, float rate, long seed, int stream,
                             Slice counters) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("dropout.cl", "dropout");
            k.args().mem(mem(in), in.offset()).mem(mem(out), out.offset()).i(n).f(rate).i((int) seed)
                    .i((int) (seed >>> 32)).i(stream).mem(mem(counters), counters.offset() + COUNTER_STEP);
            run1(k, (n + 3L) / 4); // a work-item per Philox block of four elements
        } catch (CLException e) {
            throw clFailure(op, "n=" + n + ", rate=" + rate, e);
        }
    }

    // ================================================================== batch normalisation

    @Override
    protected void doBatchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                              float momentum, Slice runningMean, Slice runningVar,
                                              Slice y, Slice saveMean, Slice saveInvStd) {
        if (cols == 0) {
            return;
        }
        try {
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            cl_mem partial = scratch(4L * chunks * cols);
            // Mean: column sums / rows, straight into saveMean.
            OpenClKernel sums = programs.kernel("reductions.cl", "column_partial_sums");
            sums.args().mem(mem(x), x.offset()).i(rows).i(cols).i(ROWS_PER_CHUNK).mem(partial, 0);
            runColumns(sums, cols, chunks);
            finalizeColumns(partial, 0, chunks, cols, rows, mem(saveMean), saveMean.offset());
            // Biased variance from squared deviations, 1 / std, running statistics.
            OpenClKernel dev = programs.kernel("batchnorm.cl", "bn_square_deviation_partials");
            dev.args().mem(mem(x), x.offset()).i(rows).i(cols).i(ROWS_PER_CHUNK).mem(mem(saveMean), saveMean.offset())
                    .mem(partial, 0);
            runColumns(dev, cols, chunks);
            OpenClKernel fin = programs.kernel("batchnorm.cl", "bn_finalize_statistics");
            fin.args().mem(partial, 0).i(chunks).i(rows).i(cols).f(eps).f(momentum)
                    .mem(mem(saveMean), saveMean.offset()).mem(mem(saveInvStd), saveInvStd.offset())
                    .mem(mem(runningMean), runningMean.offset()).mem(mem(runningVar), runningVar.offset());
            run1(fin, cols);
            OpenClKernel norm = programs.kernel("batchnorm.cl", "bn_normalize");
            norm.args().mem(mem(x), x.offset()).i(rows).i(cols).mem(mem(saveMean), saveMean.offset())
                    .mem(mem(saveInvStd), saveInvStd.offset()).mem(mem(gamma), offset(gamma)).i(gamma == null ? 0 : 1)
                    .mem(mem(beta), offset(beta)).i(beta == null ? 0 : 1).mem(mem(y), y.offset());
            run1(norm, (long) rows * cols);
        } catch (CLException e) {
            throw clFailure("batchNormForwardTraining", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doBatchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                               Slice runningMean, Slice runningVar, Slice y) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("batchnorm.cl", "bn_inference");
            k.args().mem(mem(x), x.offset()).i(rows).i(cols).mem(mem(gamma), offset(gamma)).i(gamma == null ? 0 : 1)
                    .mem(mem(beta), offset(beta)).i(beta == null ? 0 : 1).f(eps)
                    .mem(mem(runningMean), runningMean.offset()).mem(mem(runningVar), runningVar.offset())
                    .mem(mem(y), y.offset());
            run1(k, total);
        } catch (CLException e) {
            throw clFailure("batchNormForwardInference", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    protected void doBatchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                       Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        String op = "batchNormBackward";
        long total = (long) rows * cols;
        if (cols == 0) {
            return;
        }
        try {
            // Per column: sum dy (first cols entries) and sum dy * xhat (next cols), in chunk partials.
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            int width = 2 * cols;
            boolean direct = chunks == 1;
            cl_mem work = scratch(4L * (direct ? width : (long) chunks * width + width));
            int sumsOffset = direct ? 0 : chunks * width;
            OpenClKernel part = programs.kernel("batchnorm.cl", "bn_backward_partials");
            part.args().mem(mem(x), x.offset()).mem(mem(dy), dy.offset()).i(rows).i(cols).i(ROWS_PER_CHUNK)
                    .mem(mem(saveMean), saveMean.offset()).mem(mem(saveInvStd), saveInvStd.offset()).mem(work, 0);
            runColumns(part, cols, chunks);
            if (!direct) {
                finalizeColumns(work, 0, chunks, width, 1f, work, sumsOffset);
            }
            if (dbeta != null) {
                cl_mem to = mem(dbeta);
                enqueue(q -> clEnqueueCopyBuffer(q, work, to, 4L * sumsOffset, 4L * dbeta.offset(), 4L * cols, 0,
                        null, null));
            }
            if (dgamma != null) {
                cl_mem to = mem(dgamma);
                enqueue(q -> clEnqueueCopyBuffer(q, work, to, 4L * (sumsOffset + cols), 4L * dgamma.offset(),
                        4L * cols, 0, null, null));
            }
            if (dx != null) {
                OpenClKernel k = programs.kernel("batchnorm.cl", "bn_backward_dx");
                k.args().mem(mem(x), x.offset()).mem(mem(dy), dy.offset()).i(rows).i(cols)
                        .mem(mem(gamma), offset(gamma)).i(gamma == null ? 0 : 1).mem(mem(saveMean), saveMean.offset())
                        .mem(mem(saveInvStd), saveInvStd.offset()).mem(work, sumsOffset).mem(mem(dx), dx.offset());
                run1(k, total);
            }
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    // ================================================================== optimizers

    @Override
    protected void doSgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                               float momentum, boolean nesterov) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "sgd_update");
            k.args().mem(mem(params), params.offset()).mem(mem(grads), grads.offset())
                    .mem(mem(velocity), offset(velocity)).i(velocity == null ? 0 : 1).i(n)
                    .mem(mem(hyper), hyper.offset() + HYPER_LR).f(momentum).i(nesterov ? 1 : 0);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure("sgdUpdate", "n=" + n, e);
        }
    }

    @Override
    protected void doAdamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                                Slice counters, float beta1, float beta2, float eps) {
        String op = "adamUpdate";
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "adam_update");
            k.args().mem(mem(params), params.offset()).mem(mem(grads), grads.offset()).mem(mem(m), m.offset())
                    .mem(mem(v), v.offset()).mem(mem(vMax), offset(vMax)).i(vMax == null ? 0 : 1).i(n)
                    .mem(mem(hyper), hyper.offset() + HYPER_LR).mem(mem(counters), counters.offset() + COUNTER_STEP)
                    .f(beta1).f(beta2).f(eps);
            runStrided(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    @Override
    protected void doRmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                                   float rho, float momentum, float eps) {
        String op = "rmspropUpdate";
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "rmsprop_update");
            k.args().mem(mem(params), params.offset()).mem(mem(grads), grads.offset()).mem(mem(ms), ms.offset())
                    .mem(mem(mom), offset(mom)).i(mom == null ? 0 : 1).mem(mem(mg), offset(mg))
                    .i(mg == null ? 0 : 1).i(n).mem(mem(hyper), hyper.offset() + HYPER_LR).f(rho).f(momentum).f(eps);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    @Override
    protected void doAdagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "adagrad_update");
            k.args().mem(mem(params), params.offset()).mem(mem(grads), grads.offset())
                    .mem(mem(accumulator), accumulator.offset()).i(n).mem(mem(hyper), hyper.offset() + HYPER_LR)
                    .f(eps);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure("adagradUpdate", "n=" + n, e);
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
        long total = (long) rows * width;
        if (total == 0) {
            return;
        }
        try {
            String name = sd == DType.I32 ? "gather_i32" : sd == DType.U8 ? "gather_u8" : "gather_f32";
            OpenClKernel k = programs.kernel("data.cl", name);
            int srcRows = src.length() / width;
            int positions = indices == null ? srcRows : indices.length();
            k.args().mem(mem(src), src.offset()).i(srcRows).i(width).mem(mem(indices), offset(indices)).i(positions)
                    .i(indices == null ? 0 : 1).mem(mem(counters), offset(counters)).i(counters == null ? 0 : 1)
                    .i(batchSize).i(rows);
            if (sd != DType.I32) {
                k.mem(mem(scale), offset(scale)).i(scale == null ? 0 : 1).mem(mem(shift), offset(shift))
                        .i(shift == null ? 0 : 1);
            }
            k.mem(mem(out), out.offset()).mem(errors);
            run1(k, total);
        } catch (CLException e) {
            throw clFailure("gather", sd + " src, width=" + width + ", batchSize=" + batchSize + ", rows=" + rows, e);
        }
    }

    @Override
    protected void doRandomPermutation(Slice out, int n, long seed, int epoch) {
        if (n == 0) {
            return;
        }
        try {
            int padded = Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1;
            cl_mem keys = scratch(8L * padded);
            OpenClKernel init = programs.kernel("data.cl", "permutation_keys");
            init.args().mem(keys).i(n).i(padded).i((int) seed).i((int) (seed >>> 32)).i(epoch)
                    .i(Philox.PERMUTATION_STREAM);
            run1(init, padded);
            if (padded > 1) {
                bitonicSort(keys, padded);
            }
            OpenClKernel write = programs.kernel("data.cl", "permutation_write");
            write.args().mem(keys).i(n).mem(mem(out), out.offset());
            run1(write, n);
        } catch (CLException e) {
            throw clFailure("randomPermutation", "n=" + n + ", epoch=" + epoch, e);
        }
    }

    /**
     * Sorts {@code padded} (a power of two, at least 2) 64-bit keys ascending: blocks of 2L keys in local memory
     * first, then for every larger stage the long-distance steps one launch each and the short ones in local
     * memory again.
     */
    private void bitonicSort(cl_mem keys, int padded) {
        OpenClKernel sortLocal = programs.kernel("data.cl", "bitonic_sort_local");
        OpenClKernel mergeLocal = programs.kernel("data.cl", "bitonic_merge_local");
        OpenClKernel mergeGlobal = programs.kernel("data.cl", "bitonic_merge_global");
        long byMemory = Math.max(1, device.localMemoryBytes() / 16); // 2L keys of 8 bytes
        int l = (int) Math.min(Math.min(GROUP, padded / 2), byMemory);
        l = Integer.highestOneBit((int) Math.min(l, Math.min(sortLocal.maxWorkGroupSize(),
                mergeLocal.maxWorkGroupSize())));
        int block = 2 * l;
        int pairs = padded / 2;
        sortLocal.args().mem(keys).local(8L * block);
        sortLocal.run(queue, pairs, l);
        int globalGroup = powerOfTwoGroup(mergeGlobal, Math.min(GROUP, pairs));
        for (int k = 2 * block; k <= padded && k > 0; k <<= 1) {
            for (int j = k >> 1; j >= block; j >>= 1) {
                mergeGlobal.args().mem(keys).i(k).i(j);
                mergeGlobal.run(queue, pairs, globalGroup);
            }
            mergeLocal.args().mem(keys).i(k).local(8L * block);
            mergeLocal.run(queue, pairs, l);
        }
    }

    @Override
    protected void doAdvanceCounters(Slice counters) {
        try {
            OpenClKernel k = programs.kernel("data.cl", "advance_counters");
            k.args().mem(mem(counters), counters.offset());
            k.run(queue, 1, 1);
        } catch (CLException e) {
            throw clFailure("advanceCounters", counters.toString(), e);
        }
    }

    // ================================================================== recorded steps

    /**
     * Records what {@code ops} issues as an {@link OpenClRecording}: each kernel launch on a kernel object of its
     * own with its arguments set once, so that a replay is only the enqueue calls. OpenCL has no graphs; this
     * takes the per-op Java work, argument checks and {@code clSetKernelArg} calls off every step after the one
     * recorded. {@code -Ddendrite.opencl.record=false} issues every step op by op instead.
     */
    @Override
    public CapturedStep capture(Runnable ops) {
        if (!recordSteps) {
            return CapturedStep.eager(ops);
        }
        ensureOpen();
        if (programs.recording() != null) {
            throw new IllegalStateException("opencl: a step is already being recorded on this backend");
        }
        OpenClRecording r = new OpenClRecording(this);
        programs.recordInto(r);
        try {
            ops.run();
        } catch (RuntimeException | Error e) {
            programs.recordInto(null);
            r.close();
            throw e;
        }
        programs.recordInto(null);
        recordings.add(r);
        return r;
    }

    /** Enqueues a recorded step (called by {@link OpenClRecording#run()}). */
    void replay(OpenClRecording r) {
        ensureOpen();
        noRecording("replaying a recorded step");
        r.enqueueAll(queue);
    }

    void forget(OpenClRecording r) {
        recordings.remove(r);
    }

    @Override
    public long peakDeviceBytes() {
        return memory.peak();
    }

    /** Recorded steps not yet closed (for tests). */
    int openRecordings() {
        return recordings.size();
    }

    /** Enqueues a fill or copy now, or adds it to the step being recorded. */
    private void enqueue(java.util.function.Consumer<cl_command_queue> command) {
        OpenClRecording r = programs == null ? null : programs.recording(); // null while the constructor runs
        if (r != null) {
            r.addCommand(command);
        } else {
            command.accept(queue);
        }
    }

    private void noRecording(String op) {
        if (programs != null && programs.recording() != null) {
            throw new IllegalStateException("opencl " + op + " cannot run while a step is being recorded: it copies "
                    + "to or from the host, allocates or waits; do it before capture() or after it returns");
        }
    }

    // ================================================================== lifecycle

    /**
     * Waits for issued work, then frees every buffer, kernel, program, the queue and the context. Idempotent;
     * any later use of the backend or its buffers throws {@link IllegalStateException}.
     *
     * @throws OpenClException if OpenCL fails to release something (everything else is still released)
     */
    @Override
    public void close() {
        List<OpenClBuffer> open;
        synchronized (buffers) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(buffers);
            buffers.clear();
        }
        CLException failure = null;
        try {
            clFinish(queue);
        } catch (CLException e) {
            failure = e; // a failed op; its memory is released all the same
        }
        for (OpenClBuffer b : open) {
            if (b.markClosed() && b.mem() != null) {
                failure = releaseNoting(b.mem(), failure);
            }
        }
        for (OpenClRecording r : new ArrayList<>(recordings)) {
            r.close(); // their kernel objects, before the programs they come from
        }
        try {
            programs.close();
        } catch (CLException e) {
            failure = failure == null ? e : failure;
        }
        if (scratch != null) {
            failure = releaseNoting(scratch, failure);
            scratch = null;
        }
        for (cl_mem m : retiredScratch) {
            failure = releaseNoting(m, failure);
        }
        retiredScratch.clear();
        failure = releaseNoting(dummy, failure);
        failure = releaseNoting(errors, failure);
        try {
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        } catch (CLException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw clFailure("close", device.label(), failure);
        }
    }

    private static CLException releaseNoting(cl_mem mem, CLException failure) {
        try {
            clReleaseMemObject(mem);
            return failure;
        } catch (CLException e) {
            return failure == null ? e : failure;
        }
    }

    private static void releaseMemQuietly(cl_mem mem) {
        try {
            clReleaseMemObject(mem);
        } catch (CLException ignored) {
            // Already reporting the failure that led here.
        }
    }

    // ================================================================== launching

    /** Enqueues a 1-D kernel over {@code n} work-items, rounded up to whole groups (kernels check bounds). */
    private void run1(OpenClKernel k, long n) {
        int local = (int) Math.min(GROUP, k.maxWorkGroupSize());
        k.run(queue, roundUp(Math.max(n, 1), local), local);
    }

    /**
     * Enqueues a grid-stride 1-D kernel over {@code n} elements with at most {@link #STRIDED_GROUPS_PER_UNIT} groups
     * per compute unit: enough to fill the device, few enough that per-work-item set-up (Adam's step size) is
     * paid once per many elements.
     */
    private void runStrided(OpenClKernel k, long n) {
        int local = (int) Math.min(GROUP, k.maxWorkGroupSize());
        long groups = Math.min((Math.max(n, 1) + local - 1) / local,
                (long) Math.max(1, device.computeUnits()) * STRIDED_GROUPS_PER_UNIT);
        k.run(queue, groups * local, local);
    }

    /** Enqueues a column kernel: dimension 0 over {@code cols}, dimension 1 over {@code chunks}. */
    private void runColumns(OpenClKernel k, int cols, int chunks) {
        int local = (int) Math.min(COLUMN_GROUP, k.maxWorkGroupSize());
        k.run(queue, roundUp(cols, local), chunks, local, 1);
    }

    /** The largest power of two at most {@code want} that the kernel's work-groups may have. */
    private static int powerOfTwoGroup(OpenClKernel k, int want) {
        return Integer.highestOneBit((int) Math.max(1, Math.min(want, k.maxWorkGroupSize())));
    }

    /** The scratch buffer, grown to at least {@code bytes}. */
    private cl_mem scratch(long bytes) {
        if (bytes > scratchBytes) {
            long size = Math.max(bytes, Math.min(2 * scratchBytes, device.maxAllocationBytes()));
            if (size > device.maxAllocationBytes()) {
                throw new OpenClException("out of device memory: an op needs " + bytes + " bytes of work space on "
                        + device.label() + ", whose largest single allocation is " + device.maxAllocationBytes()
                        + " bytes (" + device.globalMemoryBytes() + " bytes of global memory)",
                        CL_INVALID_BUFFER_SIZE, null);
            }
            cl_mem grown = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
            memory.add(size);
            if (scratch != null) {
                retiredScratch.add(scratch); // a recorded step may still point at it: freed by close()
            }
            scratch = grown;
            scratchBytes = size;
        }
        return scratch;
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    private static int ceilDiv(int n, int d) {
        return (int) (((long) n + d - 1) / d);
    }

    private OpenClException clFailure(String op, String context, CLException e) {
        return new OpenClException(op + " (" + context + ") failed on " + device.label() + ": "
                + CL.stringFor_errorCode(e.getStatus()), e.getStatus(), e);
    }

    // ================================================================== validation and slice access

    /**
     * The device memory behind a slice that checks has passed (so an open OpenClBuffer of this backend), or the
     * dummy for a null (optional) slice or a zero-length buffer, whose slices touch nothing.
     */
    private cl_mem mem(Slice s) {
        cl_mem m = s == null ? null : ((OpenClBuffer) s.buffer()).mem();
        return m != null ? m : dummy;
    }

    private static int offset(Slice s) {
        return s == null ? 0 : s.offset();
    }
}
