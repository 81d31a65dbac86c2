package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.OpChecks.backendOpen;
import static dev.dendrite.backend.OpChecks.badIndex;
import static dev.dendrite.backend.OpChecks.badLabel;
import static dev.dendrite.backend.OpChecks.batchInRange;
import static dev.dendrite.backend.OpChecks.checkEps;
import static dev.dendrite.backend.OpChecks.checkHost;
import static dev.dendrite.backend.OpChecks.halfOpenUnit;
import static dev.dendrite.backend.OpChecks.noOverlap;
import static dev.dendrite.backend.OpChecks.noTransformOfIntegers;
import static dev.dendrite.backend.OpChecks.nonNegative;
import static dev.dendrite.backend.OpChecks.notClosed;
import static dev.dendrite.backend.OpChecks.owned;
import static dev.dendrite.backend.OpChecks.positive;
import static dev.dendrite.backend.OpChecks.requireActivation;
import static dev.dendrite.backend.OpChecks.unitInterval;
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
import dev.dendrite.backend.DType;
import dev.dendrite.backend.GemmTuner;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.OpChecks;
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
public final class OpenClBackend implements Backend {
    /** Work-group size of element-wise kernels (lowered to what a kernel allows on the device). */
    private static final int GROUP = 256;
    /** Rows each work-item adds up in the first pass of a column reduction. */
    static final int ROWS_PER_CHUNK = 16;
    /** Work-items per group of a column reduction's first pass (along the columns). */
    private static final int COLUMN_GROUP = 64;
    /** Upper bound on the work-groups of the regularizer penalty's first pass. */
    private static final int PENALTY_GROUPS = 64;
    /** Largest n of {@link #randomPermutation}: its keys are padded to a power of two that must fit an int. */
    static final int MAX_PERMUTATION = 1 << 30;

    // Codes of kernels/common/errors.h.
    private static final int ERROR_GATHER_ROW = 1;
    private static final int ERROR_GATHER_BATCH = 2;
    private static final int ERROR_LABEL = 3;
    private static final int ERROR_WORDS = 4;

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
    private volatile boolean closed;

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

    @Override
    public String toString() {
        return description();
    }

    // ================================================================== memory

    @Override
    public Buffer allocate(DType dtype, int length) {
        ensureOpen();
        if (dtype == null) {
            throw new IllegalArgumentException("allocate: dtype is null; expected F32, I32 or U8");
        }
        if (length < 0) {
            throw new IllegalArgumentException("allocate: length " + length + "; expected >= 0");
        }
        long bytes = (long) length * dtype.bytes();
        cl_mem mem = null;
        if (length > 0) {
            if (bytes > device.maxAllocationBytes()) {
                throw outOfMemory(dtype, length, bytes, "the device's largest single allocation is "
                        + device.maxAllocationBytes() + " bytes", CL_INVALID_BUFFER_SIZE, null);
            }
            try {
                mem = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
                zero(mem, 0, bytes);
                // Drivers may reserve memory lazily: waiting here makes a shortage surface as this
                // allocation's error instead of a later op's. Allocation is not on the training step's path.
                clFinish(queue);
            } catch (CLException e) {
                if (mem != null) {
                    releaseMemQuietly(mem);
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
            } catch (CLException e) {
                throw clFailure("close buffer", b.toString(), e);
            }
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, Slice dst) {
        ensureOpen();
        OpenClBuffer d = typed("upload", "dst", dst, DType.F32, 0, null);
        checkHost("upload", "src", src == null ? -1 : src.length, srcOffset, dst.length());
        write(d, dst, Pointer.to(src).withByteOffset(4L * srcOffset));
    }

    @Override
    public void upload(int[] src, int srcOffset, Slice dst) {
        ensureOpen();
        OpenClBuffer d = typed("upload", "dst", dst, DType.I32, 0, null);
        checkHost("upload", "src", src == null ? -1 : src.length, srcOffset, dst.length());
        write(d, dst, Pointer.to(src).withByteOffset(4L * srcOffset));
    }

    @Override
    public void upload(byte[] src, int srcOffset, Slice dst) {
        ensureOpen();
        OpenClBuffer d = typed("upload", "dst", dst, DType.U8, 0, null);
        checkHost("upload", "src", src == null ? -1 : src.length, srcOffset, dst.length());
        write(d, dst, Pointer.to(src).withByteOffset(srcOffset));
    }

    private void write(OpenClBuffer d, Slice dst, Pointer host) {
        if (dst.length() == 0) {
            return;
        }
        int size = d.dtype().bytes();
        try {
            // Blocking: a Java array may move once the call returns, so the copy must be done by then.
            clEnqueueWriteBuffer(queue, d.mem(), true, (long) size * dst.offset(), (long) size * dst.length(), host,
                    0, null, null);
        } catch (CLException e) {
            throw clFailure("upload", dst.length() + " elements to " + dst, e);
        }
    }

    @Override
    public void download(Slice src, float[] dst, int dstOffset) {
        ensureOpen();
        OpenClBuffer s = typed("download", "src", src, DType.F32, 0, null);
        checkHost("download", "dst", dst == null ? -1 : dst.length, dstOffset, src.length());
        read(s, src, Pointer.to(dst).withByteOffset(4L * dstOffset));
    }

    @Override
    public void download(Slice src, int[] dst, int dstOffset) {
        ensureOpen();
        OpenClBuffer s = typed("download", "src", src, DType.I32, 0, null);
        checkHost("download", "dst", dst == null ? -1 : dst.length, dstOffset, src.length());
        read(s, src, Pointer.to(dst).withByteOffset(4L * dstOffset));
    }

    private void read(OpenClBuffer s, Slice src, Pointer host) {
        try {
            if (src.length() > 0) {
                clEnqueueReadBuffer(queue, s.mem(), true, 4L * src.offset(), 4L * src.length(), host, 0, null,
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
    public void fill(Slice x, float value) {
        ensureOpen();
        OpenClBuffer b = typed("fill", "x", x, DType.F32, 0, null);
        if (x.length() == 0) {
            return;
        }
        try {
            clEnqueueFillBuffer(queue, b.mem(), Pointer.to(new float[] {value}), 4, 4L * x.offset(),
                    4L * x.length(), 0, null, null);
        } catch (CLException e) {
            throw clFailure("fill", x.toString(), e);
        }
    }

    /** Enqueues zeroing {@code bytes} bytes of {@code mem} from byte {@code offset}. */
    private void zero(cl_mem mem, long offset, long bytes) {
        if (offset % 4 == 0 && bytes % 4 == 0) {
            clEnqueueFillBuffer(queue, mem, Pointer.to(new int[] {0}), 4, offset, bytes, 0, null, null);
        } else {
            clEnqueueFillBuffer(queue, mem, Pointer.to(new byte[] {0}), 1, offset, bytes, 0, null, null);
        }
    }

    @Override
    public void copy(Slice src, Slice dst) {
        ensureOpen();
        OpenClBuffer s = open("copy", "src", src);
        OpenClBuffer d = open("copy", "dst", dst);
        OpChecks.copy(src, dst);
        if (src.length() == 0) {
            return;
        }
        int size = s.dtype().bytes();
        try {
            clEnqueueCopyBuffer(queue, s.mem(), d.mem(), (long) size * src.offset(), (long) size * dst.offset(),
                    (long) size * src.length(), 0, null, null);
        } catch (CLException e) {
            throw clFailure("copy", src + " to " + dst, e);
        }
    }

    @Override
    public void synchronize() {
        ensureOpen();
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
        String when = " (found on the device by an op issued before this download/synchronize)";
        switch (e[0]) {
            case ERROR_GATHER_ROW:
                throw new IllegalArgumentException(badIndex("gather", e[2], e[1], e[3]) + when);
            case ERROR_GATHER_BATCH:
                throw new IllegalArgumentException("gather: batch " + e[1] + " of size " + e[2]
                        + " reads past the " + e[3] + " positions available (counters[COUNTER_BATCH] out of range)"
                        + when);
            case ERROR_LABEL:
                throw new IllegalArgumentException(badLabel("softmaxCrossEntropy", e[1], e[2], e[3]) + when);
            default:
                throw new IllegalStateException("a kernel reported unknown error code " + e[0] + " (value " + e[1]
                        + ", detail " + e[2] + ", limit " + e[3] + ")" + when);
        }
    }

    // ================================================================== dense algebra

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Slice a, Slice b, float beta, Slice c) {
        ensureOpen();
        String op = "gemm";
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        nonNegative(op, "k", k);
        OpenClBuffer ab = f32(op, "a", a, (long) m * k, "m*k");
        OpenClBuffer bb = f32(op, "b", b, (long) k * n, "k*n");
        OpenClBuffer cb = f32(op, "c", c, (long) m * n, "m*n");
        OpChecks.gemm(a, b, c, m, n, k);
        if (m == 0 || n == 0) {
            return;
        }
        // alpha == 0 leaves C = beta * C without reading A or B, as CpuGemm does; every kernel does that for k == 0.
        int depth = alpha == 0f ? 0 : k;
        try {
            GemmVariant v = gemmVariant(transA, transB, m, n, depth, mem(ab), a.offset(), mem(bb), b.offset());
            enqueueGemm(v, transA, transB, m, n, depth, alpha, mem(ab), a.offset(), mem(bb), b.offset(), beta,
                    mem(cb), c.offset());
        } catch (CLException e) {
            throw clFailure(op, GemmTuner.describe(transA, transB, m, n, k), e);
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
        if (!measureGemm || candidates.size() == 1) {
            gemmTuner.remember(transA, transB, m, n, k, rule);
            return rule;
        }
        cl_mem scratchC = clCreateBuffer(context, CL_MEM_READ_WRITE, 4L * m * n, null, null);
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
    public void columnSums(Slice x, int rows, int cols, Slice out) {
        ensureOpen();
        String op = "columnSums";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        OpenClBuffer xb = f32(op, "x", x, (long) rows * cols, "rows*cols");
        OpenClBuffer ob = f32(op, "out", out, cols, "cols");
        OpChecks.columnSums(x, rows, cols, out);
        try {
            columnSumsInto(mem(xb), x.offset(), rows, cols, mem(ob), out.offset());
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
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
    public void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                                      ActivationFunction f, float alpha, Slice y) {
        ensureOpen();
        String op = "biasActivationForward";
        int act = activationCode(op, f);
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        long total = (long) rows * cols;
        OpenClBuffer zb = f32(op, "z", z, total, "rows*cols");
        OpenClBuffer yb = f32(op, "y", y, total, "rows*cols");
        OpenClBuffer bb = bias == null ? null : f32(op, "bias", bias, cols, "cols");
        OpChecks.biasActivationForward(z, bias, rows, cols, f, y);
        if (total == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                OpenClKernel k = programs.kernel("activations.cl", "softmax_forward");
                k.args().mem(mem(zb), z.offset()).mem(orDummy(bb), offset(bias)).i(bias == null ? 0 : 1)
                        .i(rows).i(cols).mem(mem(yb), y.offset());
                run1(k, rows);
            } else {
                OpenClKernel k = programs.kernel("activations.cl", "bias_activation_forward");
                k.args().mem(mem(zb), z.offset()).mem(orDummy(bb), offset(bias)).i(bias == null ? 0 : 1)
                        .i(rows).i(cols).i(act).f(alpha).mem(mem(yb), y.offset());
                run1(k, total);
            }
        } catch (CLException e) {
            throw clFailure(op, f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        ensureOpen();
        String op = "activationBackward";
        int act = activationCode(op, f);
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        long total = (long) rows * cols;
        OpenClBuffer zb = f32(op, "z", z, total, "rows*cols");
        OpenClBuffer yb = f32(op, "y", y, total, "rows*cols");
        OpenClBuffer dyb = f32(op, "dy", dy, total, "rows*cols");
        OpenClBuffer dzb = f32(op, "dz", dz, total, "rows*cols");
        OpenClBuffer dbb = dbias == null ? null : f32(op, "dbias", dbias, cols, "cols");
        OpChecks.activationBackward(z, y, dy, rows, cols, dz, dbias);
        try {
            if (total == 0) {
                if (dbb != null && cols > 0) {
                    zero(mem(dbb), 4L * dbias.offset(), 4L * cols);
                }
                return;
            }
            if (f == ActivationFunction.SOFTMAX) {
                OpenClKernel k = programs.kernel("activations.cl", "softmax_backward");
                k.args().mem(mem(yb), y.offset()).mem(mem(dyb), dy.offset()).mem(mem(dzb), dz.offset()).i(rows)
                        .i(cols);
                run1(k, rows);
                if (dbb != null) {
                    columnSumsInto(mem(dzb), dz.offset(), rows, cols, mem(dbb), dbias.offset());
                }
                return;
            }
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            boolean direct = dbb != null && chunks == 1;
            cl_mem partial = dbb == null ? dummy : direct ? mem(dbb) : scratch(4L * chunks * cols);
            int po = direct ? dbias.offset() : 0;
            OpenClKernel k = programs.kernel("activations.cl", "activation_backward");
            k.args().mem(mem(zb), z.offset()).mem(mem(dyb), dy.offset()).mem(mem(dzb), dz.offset()).i(rows).i(cols)
                    .i(act).f(alpha).i(ROWS_PER_CHUNK).mem(partial, po).i(dbb == null ? 0 : 1);
            runColumns(k, cols, chunks);
            if (dbb != null && !direct) {
                finalizeColumns(partial, 0, chunks, cols, 1f, mem(dbb), dbias.offset());
            }
        } catch (CLException e) {
            throw clFailure(op, f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    /** The activation's code in kernels/common/activations.h. */
    private static int activationCode(String op, ActivationFunction f) {
        requireActivation(op, f);
        switch (f) {
            case LINEAR:
                return 0;
            case RELU:
                return 1;
            case SIGMOID:
                return 2;
            case TANH:
                return 3;
            case SOFTMAX:
                return 4;
            case SELU:
                return 5;
            case ELU:
                return 6;
            case LEAKY_RELU:
                return 7;
            case GELU:
                return 8;
            case SWISH:
                return 9;
            default:
                throw new IllegalArgumentException(op + ": activation " + f + " has no OpenCL kernel");
        }
    }

    // ================================================================== losses

    @Override
    public void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                    Slice probs, Slice dlogits, float gradScale, Slice stats) {
        ensureOpen();
        String op = "softmaxCrossEntropy";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        long total = (long) rows * cols;
        OpenClBuffer zb = f32(op, "logits", logits, total, "rows*cols");
        OpenClBuffer lb = sparseLabels ? typed(op, "labels", labels, DType.I32, rows, "rows")
                : f32(op, "labels", labels, total, "rows*cols");
        OpenClBuffer pb = f32(op, "probs", probs, total, "rows*cols");
        OpenClBuffer gb = dlogits == null ? null : f32(op, "dlogits", dlogits, total, "rows*cols");
        OpenClBuffer sb = f32(op, "stats", stats, STATS_LENGTH, "STATS_LENGTH");
        OpChecks.softmaxCrossEntropy(logits, labels, sparseLabels, rows, cols, probs, dlogits, stats);
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = scratch(8L * rows);
            OpenClKernel k = programs.kernel("losses.cl", sparseLabels ? "softmax_xent_sparse" : "softmax_xent_dense");
            k.args().mem(mem(zb), logits.offset()).mem(mem(lb), labels.offset()).i(rows).i(cols)
                    .mem(mem(pb), probs.offset()).mem(orDummy(gb), offset(dlogits)).i(gb == null ? 0 : 1)
                    .f(gradScale).mem(rowStats, 0);
            if (sparseLabels) {
                k.mem(errors);
            }
            run1(k, rows);
            accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, mem(sb), stats.offset());
        } catch (CLException e) {
            throw clFailure(op, (sparseLabels ? "sparse" : "dense") + " labels, rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols,
                                    Slice probs, Slice dlogits, float gradScale, Slice stats) {
        ensureOpen();
        String op = "sigmoidCrossEntropy";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        long total = (long) rows * cols;
        OpenClBuffer zb = f32(op, "logits", logits, total, "rows*cols");
        OpenClBuffer tb = f32(op, "targets", targets, total, "rows*cols");
        OpenClBuffer pb = f32(op, "probs", probs, total, "rows*cols");
        OpenClBuffer gb = dlogits == null ? null : f32(op, "dlogits", dlogits, total, "rows*cols");
        OpenClBuffer sb = f32(op, "stats", stats, STATS_LENGTH, "STATS_LENGTH");
        OpChecks.sigmoidCrossEntropy(logits, targets, rows, cols, probs, dlogits, stats);
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = scratch(8L * rows);
            OpenClKernel k = programs.kernel("losses.cl", "sigmoid_xent");
            k.args().mem(mem(zb), logits.offset()).mem(mem(tb), targets.offset()).i(rows).i(cols)
                    .mem(mem(pb), probs.offset()).mem(orDummy(gb), offset(dlogits)).i(gb == null ? 0 : 1)
                    .f((float) ((double) gradScale / cols)).mem(rowStats, 0);
            run1(k, rows);
            accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, mem(sb), stats.offset());
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void meanSquaredError(Slice pred, Slice targets, int rows, int cols,
                                 Slice dpred, float gradScale, Slice stats) {
        ensureOpen();
        String op = "meanSquaredError";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        long total = (long) rows * cols;
        OpenClBuffer xb = f32(op, "pred", pred, total, "rows*cols");
        OpenClBuffer tb = f32(op, "targets", targets, total, "rows*cols");
        OpenClBuffer gb = dpred == null ? null : f32(op, "dpred", dpred, total, "rows*cols");
        OpenClBuffer sb = f32(op, "stats", stats, STATS_LENGTH, "STATS_LENGTH");
        OpChecks.meanSquaredError(pred, targets, rows, cols, dpred, stats);
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = scratch(8L * rows);
            OpenClKernel k = programs.kernel("losses.cl", "mean_squared_error");
            k.args().mem(mem(xb), pred.offset()).mem(mem(tb), targets.offset()).i(rows).i(cols)
                    .mem(orDummy(gb), offset(dpred)).i(gb == null ? 0 : 1).f((float) (2.0 * gradScale / cols))
                    .mem(rowStats, 0);
            run1(k, rows);
            accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, mem(sb), stats.offset());
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
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
    public void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        ensureOpen();
        String op = "regularizerGradient";
        nonNegative(op, "n", n);
        OpenClBuffer wb = f32(op, "w", w, n, "n");
        OpenClBuffer gb = f32(op, "grad", grad, n, "n");
        OpChecks.regularizerGradient(w, grad, n);
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("regularizers.cl", "regularizer_gradient");
            k.args().mem(mem(wb), w.offset()).mem(mem(gb), grad.offset()).i(n).f(l1).f(l2);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    @Override
    public void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        ensureOpen();
        String op = "regularizerPenalty";
        nonNegative(op, "n", n);
        OpenClBuffer wb = f32(op, "w", w, n, "n");
        OpenClBuffer sb = f32(op, "stats", stats, STATS_LENGTH, "STATS_LENGTH");
        OpChecks.regularizerPenalty(w, n, stats);
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("regularizers.cl", "abs_square_partials");
            int local = powerOfTwoGroup(k, GROUP);
            int groups = Math.min(PENALTY_GROUPS, ceilDiv(n, local));
            cl_mem partial = scratch(8L * groups);
            k.args().mem(mem(wb), w.offset()).i(n).mem(partial, 0).local(4L * local).local(4L * local);
            k.run(queue, (long) groups * local, local);
            accumulateStats(partial, 0, groups, groups, (float) ((double) scale * l1), (float) ((double) scale * l2),
                    0f, mem(sb), stats.offset());
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    // ================================================================== dropout

    @Override
    public void dropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters) {
        dropout("dropoutForward", "x", x, "y", y, n, rate, seed, stream, counters);
    }

    @Override
    public void dropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream, Slice counters) {
        // The same function of the same coordinates as the forward: the mask is regenerated, not stored.
        dropout("dropoutBackward", "dy", dy, "dx", dx, n, rate, seed, stream, counters);
    }

    private void dropout(String op, String inName, Slice in, String outName, Slice out, int n, float rate,
                         long seed, int stream, Slice counters) {
        ensureOpen();
        nonNegative(op, "n", n);
        halfOpenUnit(op, "rate", rate);
        OpenClBuffer xb = f32(op, inName, in, n, "n");
        OpenClBuffer yb = f32(op, outName, out, n, "n");
        OpenClBuffer cb = typed(op, "counters", counters, DType.I32, COUNTERS_LENGTH, "COUNTERS_LENGTH");
        OpChecks.dropout(op, inName, in, outName, out, n);
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("dropout.cl", "dropout");
            k.args().mem(mem(xb), in.offset()).mem(mem(yb), out.offset()).i(n).f(rate).i((int) seed)
                    .i((int) (seed >>> 32)).i(stream).mem(mem(cb), counters.offset() + COUNTER_STEP);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n + ", rate=" + rate, e);
        }
    }

    // ================================================================== batch normalisation

    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar,
                                         Slice y, Slice saveMean, Slice saveInvStd) {
        ensureOpen();
        String op = "batchNormForwardTraining";
        positive(op, "rows", rows);
        nonNegative(op, "cols", cols);
        checkEps(op, eps);
        unitInterval(op, "momentum", momentum);
        long total = (long) rows * cols;
        OpenClBuffer xb = f32(op, "x", x, total, "rows*cols");
        OpenClBuffer gb = gamma == null ? null : f32(op, "gamma", gamma, cols, "cols");
        OpenClBuffer bb = beta == null ? null : f32(op, "beta", beta, cols, "cols");
        OpenClBuffer rmb = f32(op, "runningMean", runningMean, cols, "cols");
        OpenClBuffer rvb = f32(op, "runningVar", runningVar, cols, "cols");
        OpenClBuffer yb = f32(op, "y", y, total, "rows*cols");
        OpenClBuffer smb = f32(op, "saveMean", saveMean, cols, "cols");
        OpenClBuffer sib = f32(op, "saveInvStd", saveInvStd, cols, "cols");
        OpChecks.batchNormForwardTraining(x, rows, cols, runningMean, runningVar, y, saveMean, saveInvStd);
        if (cols == 0) {
            return;
        }
        try {
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            cl_mem partial = scratch(4L * chunks * cols);
            // Mean: column sums / rows, straight into saveMean.
            OpenClKernel sums = programs.kernel("reductions.cl", "column_partial_sums");
            sums.args().mem(mem(xb), x.offset()).i(rows).i(cols).i(ROWS_PER_CHUNK).mem(partial, 0);
            runColumns(sums, cols, chunks);
            finalizeColumns(partial, 0, chunks, cols, rows, mem(smb), saveMean.offset());
            // Biased variance from squared deviations, 1 / std, running statistics.
            OpenClKernel dev = programs.kernel("batchnorm.cl", "bn_square_deviation_partials");
            dev.args().mem(mem(xb), x.offset()).i(rows).i(cols).i(ROWS_PER_CHUNK).mem(mem(smb), saveMean.offset())
                    .mem(partial, 0);
            runColumns(dev, cols, chunks);
            OpenClKernel fin = programs.kernel("batchnorm.cl", "bn_finalize_statistics");
            fin.args().mem(partial, 0).i(chunks).i(rows).i(cols).f(eps).f(momentum).mem(mem(smb), saveMean.offset())
                    .mem(mem(sib), saveInvStd.offset()).mem(mem(rmb), runningMean.offset())
                    .mem(mem(rvb), runningVar.offset());
            run1(fin, cols);
            OpenClKernel norm = programs.kernel("batchnorm.cl", "bn_normalize");
            norm.args().mem(mem(xb), x.offset()).i(rows).i(cols).mem(mem(smb), saveMean.offset())
                    .mem(mem(sib), saveInvStd.offset()).mem(orDummy(gb), offset(gamma)).i(gb == null ? 0 : 1)
                    .mem(orDummy(bb), offset(beta)).i(bb == null ? 0 : 1).mem(mem(yb), y.offset());
            run1(norm, total);
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        ensureOpen();
        String op = "batchNormForwardInference";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        checkEps(op, eps);
        long total = (long) rows * cols;
        OpenClBuffer xb = f32(op, "x", x, total, "rows*cols");
        OpenClBuffer gb = gamma == null ? null : f32(op, "gamma", gamma, cols, "cols");
        OpenClBuffer bb = beta == null ? null : f32(op, "beta", beta, cols, "cols");
        OpenClBuffer rmb = f32(op, "runningMean", runningMean, cols, "cols");
        OpenClBuffer rvb = f32(op, "runningVar", runningVar, cols, "cols");
        OpenClBuffer yb = f32(op, "y", y, total, "rows*cols");
        OpChecks.batchNormForwardInference(x, rows, cols, y);
        if (total == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("batchnorm.cl", "bn_inference");
            k.args().mem(mem(xb), x.offset()).i(rows).i(cols).mem(orDummy(gb), offset(gamma)).i(gb == null ? 0 : 1)
                    .mem(orDummy(bb), offset(beta)).i(bb == null ? 0 : 1).f(eps)
                    .mem(mem(rmb), runningMean.offset()).mem(mem(rvb), runningVar.offset()).mem(mem(yb), y.offset());
            run1(k, total);
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                  Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        ensureOpen();
        String op = "batchNormBackward";
        positive(op, "rows", rows);
        nonNegative(op, "cols", cols);
        long total = (long) rows * cols;
        OpenClBuffer xb = f32(op, "x", x, total, "rows*cols");
        OpenClBuffer dyb = f32(op, "dy", dy, total, "rows*cols");
        OpenClBuffer gb = gamma == null ? null : f32(op, "gamma", gamma, cols, "cols");
        OpenClBuffer smb = f32(op, "saveMean", saveMean, cols, "cols");
        OpenClBuffer sib = f32(op, "saveInvStd", saveInvStd, cols, "cols");
        OpenClBuffer dxb = dx == null ? null : f32(op, "dx", dx, total, "rows*cols");
        OpenClBuffer dgb = dgamma == null ? null : f32(op, "dgamma", dgamma, cols, "cols");
        OpenClBuffer dbb = dbeta == null ? null : f32(op, "dbeta", dbeta, cols, "cols");
        OpChecks.batchNormBackward(x, dy, rows, cols, dx, dgamma, dbeta);
        // Stricter than the shared rules, and than the cpu and cuda backends (which accept what the Backend
        // contract rules out anyway): dx must not overlap the per-column inputs either.
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "saveMean", saveMean, cols, false);
            noOverlap(op, "dx", dx, total, "saveInvStd", saveInvStd, cols, false);
            noOverlap(op, "dx", dx, total, "gamma", gamma, cols, false);
        }
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
            part.args().mem(mem(xb), x.offset()).mem(mem(dyb), dy.offset()).i(rows).i(cols).i(ROWS_PER_CHUNK)
                    .mem(mem(smb), saveMean.offset()).mem(mem(sib), saveInvStd.offset()).mem(work, 0);
            runColumns(part, cols, chunks);
            if (!direct) {
                finalizeColumns(work, 0, chunks, width, 1f, work, sumsOffset);
            }
            if (dbb != null) {
                clEnqueueCopyBuffer(queue, work, mem(dbb), 4L * sumsOffset, 4L * dbeta.offset(), 4L * cols, 0, null,
                        null);
            }
            if (dgb != null) {
                clEnqueueCopyBuffer(queue, work, mem(dgb), 4L * (sumsOffset + cols), 4L * dgamma.offset(),
                        4L * cols, 0, null, null);
            }
            if (dxb != null) {
                OpenClKernel k = programs.kernel("batchnorm.cl", "bn_backward_dx");
                k.args().mem(mem(xb), x.offset()).mem(mem(dyb), dy.offset()).i(rows).i(cols)
                        .mem(orDummy(gb), offset(gamma)).i(gb == null ? 0 : 1).mem(mem(smb), saveMean.offset())
                        .mem(mem(sib), saveInvStd.offset()).mem(work, sumsOffset).mem(mem(dxb), dx.offset());
                run1(k, total);
            }
        } catch (CLException e) {
            throw clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    // ================================================================== optimizers

    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                          float momentum, boolean nesterov) {
        ensureOpen();
        String op = "sgdUpdate";
        nonNegative(op, "n", n);
        OpenClBuffer pb = f32(op, "params", params, n, "n");
        OpenClBuffer gb = f32(op, "grads", grads, n, "n");
        OpenClBuffer vb = velocity == null ? null : f32(op, "velocity", velocity, n, "n");
        OpenClBuffer hb = f32(op, "hyper", hyper, HYPER_LR + 1, "HYPER_LR + 1");
        OpChecks.sgdUpdate(params, grads, velocity, n, momentum);
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "sgd_update");
            k.args().mem(mem(pb), params.offset()).mem(mem(gb), grads.offset()).mem(orDummy(vb), offset(velocity))
                    .i(vb == null ? 0 : 1).i(n).mem(mem(hb), hyper.offset() + HYPER_LR).f(momentum)
                    .i(nesterov ? 1 : 0);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        ensureOpen();
        String op = "adamUpdate";
        nonNegative(op, "n", n);
        OpenClBuffer pb = f32(op, "params", params, n, "n");
        OpenClBuffer gb = f32(op, "grads", grads, n, "n");
        OpenClBuffer mb = f32(op, "m", m, n, "n");
        OpenClBuffer vb = f32(op, "v", v, n, "n");
        OpenClBuffer xb = vMax == null ? null : f32(op, "vMax", vMax, n, "n");
        OpenClBuffer hb = f32(op, "hyper", hyper, HYPER_LR + 1, "HYPER_LR + 1");
        OpenClBuffer cb = typed(op, "counters", counters, DType.I32, COUNTERS_LENGTH, "COUNTERS_LENGTH");
        OpChecks.adamUpdate(params, grads, m, v, n, beta1, beta2, eps);
        // Stricter than the shared rules, and than the cpu and cuda backends: no two of the updated states overlap.
        noOverlap(op, "params", params, n, "m", m, n, false);
        noOverlap(op, "params", params, n, "v", v, n, false);
        if (vMax != null) {
            noOverlap(op, "vMax", vMax, n, "v", v, n, false);
            noOverlap(op, "vMax", vMax, n, "m", m, n, false);
            noOverlap(op, "vMax", vMax, n, "params", params, n, false);
        }
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "adam_update");
            k.args().mem(mem(pb), params.offset()).mem(mem(gb), grads.offset()).mem(mem(mb), m.offset())
                    .mem(mem(vb), v.offset()).mem(orDummy(xb), offset(vMax)).i(xb == null ? 0 : 1).i(n)
                    .mem(mem(hb), hyper.offset() + HYPER_LR).mem(mem(cb), counters.offset() + COUNTER_STEP)
                    .f(beta1).f(beta2).f(eps);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        ensureOpen();
        String op = "rmspropUpdate";
        nonNegative(op, "n", n);
        OpenClBuffer pb = f32(op, "params", params, n, "n");
        OpenClBuffer gb = f32(op, "grads", grads, n, "n");
        OpenClBuffer sb = f32(op, "ms", ms, n, "n");
        OpenClBuffer mob = mom == null ? null : f32(op, "mom", mom, n, "n");
        OpenClBuffer mgb = mg == null ? null : f32(op, "mg", mg, n, "n");
        OpenClBuffer hb = f32(op, "hyper", hyper, HYPER_LR + 1, "HYPER_LR + 1");
        OpChecks.rmspropUpdate(params, grads, mom, n, rho, momentum, eps);
        noOverlap(op, "ms", ms, n, "params", params, n, false); // stricter than the cpu and cuda backends
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "rmsprop_update");
            k.args().mem(mem(pb), params.offset()).mem(mem(gb), grads.offset()).mem(mem(sb), ms.offset())
                    .mem(orDummy(mob), offset(mom)).i(mob == null ? 0 : 1).mem(orDummy(mgb), offset(mg))
                    .i(mgb == null ? 0 : 1).i(n).mem(mem(hb), hyper.offset() + HYPER_LR).f(rho).f(momentum).f(eps);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        ensureOpen();
        String op = "adagradUpdate";
        nonNegative(op, "n", n);
        OpenClBuffer pb = f32(op, "params", params, n, "n");
        OpenClBuffer gb = f32(op, "grads", grads, n, "n");
        OpenClBuffer ab = f32(op, "accumulator", accumulator, n, "n");
        OpenClBuffer hb = f32(op, "hyper", hyper, HYPER_LR + 1, "HYPER_LR + 1");
        OpChecks.adagradUpdate(params, grads, accumulator, n, eps);
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = programs.kernel("optimizers.cl", "adagrad_update");
            k.args().mem(mem(pb), params.offset()).mem(mem(gb), grads.offset()).mem(mem(ab), accumulator.offset())
                    .i(n).mem(mem(hb), hyper.offset() + HYPER_LR).f(eps);
            run1(k, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n, e);
        }
    }

    // ================================================================== data movement

    @Override
    public void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows,
                       Slice scale, Slice shift, Slice out) {
        ensureOpen();
        String op = "gather";
        positive(op, "width", width);
        nonNegative(op, "batchSize", batchSize);
        nonNegative(op, "rows", rows);
        OpenClBuffer sb = open(op, "src", src);
        DType sd = sb.dtype();
        long total = (long) rows * width;
        int srcRows = src.length() / width;
        OpenClBuffer ib = indices == null ? null : typed(op, "indices", indices, DType.I32, 0, null);
        OpenClBuffer cb = counters == null ? null
                : typed(op, "counters", counters, DType.I32, COUNTERS_LENGTH, "COUNTERS_LENGTH");
        int positions = indices == null ? srcRows : indices.length();
        if (counters == null) {
            // Batch 0 is known here; other batches are checked on the device (the counter lives there).
            batchInRange(op, 0, batchSize, rows, positions, indices != null);
        }
        OpenClBuffer ob;
        noTransformOfIntegers(op, sd, scale, shift);
        if (sd == DType.I32) {
            ob = typed(op, "out", out, DType.I32, total, "rows*width");
        } else {
            ob = f32(op, "out", out, total, "rows*width");
        }
        OpenClBuffer scb = scale == null ? null : f32(op, "scale", scale, width, "width");
        OpenClBuffer shb = shift == null ? null : f32(op, "shift", shift, width, "width");
        OpChecks.gather(src, width, rows, out);
        if (total == 0) {
            return;
        }
        try {
            String name = sd == DType.I32 ? "gather_i32" : sd == DType.U8 ? "gather_u8" : "gather_f32";
            OpenClKernel k = programs.kernel("data.cl", name);
            k.args().mem(mem(sb), src.offset()).i(srcRows).i(width).mem(orDummy(ib), offset(indices)).i(positions)
                    .i(ib == null ? 0 : 1).mem(orDummy(cb), offset(counters)).i(cb == null ? 0 : 1).i(batchSize)
                    .i(rows);
            if (sd != DType.I32) {
                k.mem(orDummy(scb), offset(scale)).i(scb == null ? 0 : 1).mem(orDummy(shb), offset(shift))
                        .i(shb == null ? 0 : 1);
            }
            k.mem(mem(ob), out.offset()).mem(errors);
            run1(k, total);
        } catch (CLException e) {
            throw clFailure(op, sd + " src, width=" + width + ", batchSize=" + batchSize + ", rows=" + rows, e);
        }
    }

    @Override
    public void randomPermutation(Slice out, int n, long seed, int epoch) {
        ensureOpen();
        String op = "randomPermutation";
        nonNegative(op, "n", n);
        if (n > MAX_PERMUTATION) {
            throw new IllegalArgumentException(op + ": n = " + n + "; expected at most " + MAX_PERMUTATION);
        }
        OpenClBuffer ob = typed(op, "out", out, DType.I32, n, "n");
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
            write.args().mem(keys).i(n).mem(mem(ob), out.offset());
            run1(write, n);
        } catch (CLException e) {
            throw clFailure(op, "n=" + n + ", epoch=" + epoch, e);
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
    public void advanceCounters(Slice counters) {
        ensureOpen();
        OpenClBuffer cb = typed("advanceCounters", "counters", counters, DType.I32, COUNTERS_LENGTH,
                "COUNTERS_LENGTH");
        try {
            OpenClKernel k = programs.kernel("data.cl", "advance_counters");
            k.args().mem(mem(cb), counters.offset());
            k.run(queue, 1, 1);
        } catch (CLException e) {
            throw clFailure("advanceCounters", counters.toString(), e);
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
        try {
            programs.close();
        } catch (CLException e) {
            failure = failure == null ? e : failure;
        }
        if (scratch != null) {
            failure = releaseNoting(scratch, failure);
            scratch = null;
        }
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
            if (scratch != null) {
                clReleaseMemObject(scratch); // commands still using it keep it alive until they finish
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

    // ================================================================== validation helpers

    private void ensureOpen() {
        backendOpen(name(), closed);
    }

    /** The device memory of a buffer, or the dummy for a zero-length one (whose slices touch nothing). */
    private cl_mem mem(OpenClBuffer b) {
        return b.mem() != null ? b.mem() : dummy;
    }

    private cl_mem orDummy(OpenClBuffer b) {
        return b == null ? dummy : mem(b);
    }

    private static int offset(Slice s) {
        return s == null ? 0 : s.offset();
    }

    /** The open OpenClBuffer of this backend behind {@code s}. */
    private OpenClBuffer open(String op, String name, Slice s) {
        OpenClBuffer ob = owned(op, name, s, this, OpenClBuffer.class);
        notClosed(op, name, s, ob.isClosed());
        return ob;
    }

    private OpenClBuffer typed(String op, String name, Slice s, DType want, long need, String what) {
        OpenClBuffer ob = open(op, name, s);
        OpChecks.typed(op, name, s, want, need, what);
        return ob;
    }

    private OpenClBuffer f32(String op, String name, Slice s, long need, String what) {
        return typed(op, name, s, DType.F32, need, what);
    }
}
