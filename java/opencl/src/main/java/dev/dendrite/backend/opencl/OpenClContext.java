package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.Backend.HYPER_LR;
import static dev.dendrite.backend.KernelCodes.ERROR_WORDS;
import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_INVALID_BUFFER_SIZE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueFillBuffer;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseMemObject;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.CountersInUpdate;
import dev.dendrite.backend.DeviceMemoryMeter;
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
 * The device side of an {@link OpenClBackend}: the context, its one in-order command queue, the program cache,
 * the dummy buffer that stands in for absent optional slices, the device-side error block and the scratch work
 * space of multi-pass ops; how kernels are enqueued (or recorded into a step), and how a failing OpenCL call is
 * reported. Every family of ops ({@code OpenCl*Ops}) issues its work through the one instance its backend holds.
 */
final class OpenClContext {
    /** Work-group size of element-wise kernels (lowered to what a kernel allows on the device). */
    static final int GROUP = 256;
    /** Rows each work-item adds up in the first pass of a column reduction. */
    static final int ROWS_PER_CHUNK = 16;
    /** Work-items per group of a column reduction's first pass (along the columns). */
    private static final int COLUMN_GROUP = 64;
    /** Groups per compute unit of a grid-stride kernel ({@link #runStrided}). */
    private static final int STRIDED_GROUPS_PER_UNIT = 16;

    final OpenClDevice device;
    final cl_context context;
    final cl_command_queue queue;
    final OpenClPrograms programs;
    /** Stands in for absent optional slices: kernels take a flag and never read it. */
    final cl_mem dummy;
    /**
     * The device-side error block of kernels/common/errors.h, and one word after it: the ticket with which the last
     * work-group of a step's last update advances the step counters (kernels/common/counters.h; 0 between kernels).
     */
    final cl_mem errors;
    /**
     * One ticket per tile of a product split over k whose last group folds the tile itself
     * (kernels/common/gemm_tiled.h's fold_last), each 0 between kernels; {@link #GEMM_TICKETS} of them, so larger
     * grids fold in a launch of their own.
     */
    final cl_mem gemmTickets;
    /** Tiles of one split product that can fold in the product's own launch ({@link #gemmTickets}). */
    static final int GEMM_TICKETS = 8192;
    /**
     * Whether a kernel's last work-group does its final step in the same launch (kernels/common/last_group.h): folds
     * column partials into a bias gradient or batch-norm mean, adds up a softmax loss's statistics. Off with
     * {@code -Ddendrite.opencl.lastGroup=false}: column_finalize and accumulate_stats then run in launches of their
     * own, with the same bits (for finding a failing kernel, and A/Bs).
     */
    final boolean lastGroupFolds = !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.lastGroup"));
    /** Inside {@link OpenClBackend#updateThenAdvanceCounters}: which rule kernel advances the step counters. */
    final CountersInUpdate countersInUpdate = new CountersInUpdate("opencl");
    /** Work space of multi-pass ops, grown on demand; ops run in queue order, so one is enough. */
    private cl_mem scratch;
    private long scratchBytes;
    /** Scratch buffers outgrown since a recording may have captured them; at most about the current one's size. */
    private final List<cl_mem> retiredScratch = new ArrayList<>();
    /** Device memory the backend holds: {@link OpenClBackend#peakDeviceBytes()}. */
    final DeviceMemoryMeter memory = new DeviceMemoryMeter();

    /**
     * Opens a context and a queue on {@code device}, with the dummy buffer, a zeroed error block and zeroed GEMM
     * tickets.
     *
     * @throws UnsupportedOperationException when the device cannot be opened, saying why
     */
    OpenClContext(OpenClDevice device) {
        this.device = device;
        cl_context ctx = null;
        cl_command_queue q = null;
        cl_mem d = null;
        cl_mem e = null;
        cl_mem t = null;
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, device.platform);
            ctx = clCreateContext(props, 1, new cl_device_id[] {device.device}, null, null, null);
            q = createQueue(ctx, device);
            d = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 16, null, null);
            e = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4L * (ERROR_WORDS + 1), null, null);
            clEnqueueFillBuffer(q, e, Pointer.to(new int[] {0}), 4, 0, 4L * (ERROR_WORDS + 1), 0, null, null);
            t = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4L * GEMM_TICKETS, null, null);
            clEnqueueFillBuffer(q, t, Pointer.to(new int[] {0}), 4, 0, 4L * GEMM_TICKETS, 0, null, null);
            clFinish(q);
        } catch (CLException ex) {
            releaseQuietly(t, e, d, q, ctx);
            throw new UnsupportedOperationException("OpenCL device " + device.label() + " could not be opened: "
                    + CL.stringFor_errorCode(ex.getStatus()), ex);
        }
        this.context = ctx;
        this.queue = q;
        this.dummy = d;
        this.errors = e;
        this.gemmTickets = t;
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

    private static void releaseQuietly(cl_mem t, cl_mem e, cl_mem d, cl_command_queue q, cl_context ctx) {
        try {
            if (t != null) {
                clReleaseMemObject(t);
            }
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

    /**
     * Releases the scratch, the dummy, the error block, the GEMM tickets, the queue and the context (after the
     * backend's buffers, recordings and programs); returns the first failure, {@code failure} if there was one already.
     */
    CLException release(CLException failure) {
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
        failure = releaseNoting(gemmTickets, failure);
        try {
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        } catch (CLException e) {
            failure = failure == null ? e : failure;
        }
        return failure;
    }

    /** Releases {@code mem}; returns the first failure, {@code failure} if there was one already. */
    static CLException releaseNoting(cl_mem mem, CLException failure) {
        try {
            clReleaseMemObject(mem);
            return failure;
        } catch (CLException e) {
            return failure == null ? e : failure;
        }
    }

    /** Enqueues zeroing {@code bytes} bytes of {@code mem} from byte {@code offset}. */
    void zero(cl_mem mem, long offset, long bytes) {
        if (offset % 4 == 0 && bytes % 4 == 0) {
            enqueue(q -> clEnqueueFillBuffer(q, mem, Pointer.to(new int[] {0}), 4, offset, bytes, 0, null, null));
        } else {
            enqueue(q -> clEnqueueFillBuffer(q, mem, Pointer.to(new byte[] {0}), 1, offset, bytes, 0, null, null));
        }
    }

    /** Enqueues a fill or copy now, or adds it to the step being recorded. */
    void enqueue(java.util.function.Consumer<cl_command_queue> command) {
        OpenClRecording r = programs == null ? null : programs.recording(); // null while the constructor runs
        if (r != null) {
            r.addCommand(command);
        } else {
            command.accept(queue);
        }
    }

    void noRecording(String op) {
        if (programs != null && programs.recording() != null) {
            throw new IllegalStateException("opencl " + op + " cannot run while a step is being recorded: it copies "
                    + "to or from the host, allocates or waits; do it before capture() or after it returns");
        }
    }

    /**
     * Copies {@code host} into {@code dst}'s elements, blocking (a Java array may move once the call returns, so the
     * copy must be done by then).
     */
    void write(Slice dst, Pointer host) {
        noRecording("upload");
        if (dst.length() == 0) {
            return;
        }
        int size = dst.dtype().bytes();
        try {
            clEnqueueWriteBuffer(queue, mem(dst), true, (long) size * dst.offset(), (long) size * dst.length(), host,
                    0, null, null);
        } catch (CLException e) {
            throw clFailure("upload", dst.length() + " elements to " + dst, e);
        }
    }

    /**
     * Copies {@code src}'s 32-bit elements into {@code host}, blocking, after everything issued before (the queue is
     * drained even for an empty slice). The device's error block is the caller's to check.
     */
    void read(Slice src, Pointer host) {
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
    }

    // ================================================================== launching

    /** Enqueues a 1-D kernel over {@code n} work-items, rounded up to whole groups (kernels check bounds). */
    void run1(OpenClKernel k, long n) {
        int local = (int) Math.min(GROUP, k.maxWorkGroupSize());
        k.run(queue, roundUp(Math.max(n, 1), local), local);
    }

    /**
     * Enqueues a grid-stride 1-D kernel over {@code n} elements with at most {@link #STRIDED_GROUPS_PER_UNIT} groups
     * per compute unit: enough to fill the device, few enough that per-work-item set-up (Adam's step size) is
     * paid once per many elements.
     */
    void runStrided(OpenClKernel k, long n) {
        int local = (int) Math.min(GROUP, k.maxWorkGroupSize());
        long groups = Math.min((Math.max(n, 1) + local - 1) / local,
                (long) Math.max(1, device.computeUnits()) * STRIDED_GROUPS_PER_UNIT);
        k.run(queue, groups * local, local);
    }

    /** Enqueues a column kernel: dimension 0 over {@code cols}, dimension 1 over {@code chunks}. */
    void runColumns(OpenClKernel k, int cols, int chunks) {
        int local = (int) Math.min(COLUMN_GROUP, k.maxWorkGroupSize());
        k.run(queue, roundUp(cols, local), chunks, local, 1);
    }

    /**
     * Sets {@code k}'s arguments in the order the kernel declares them: a {@link Slice} is its buffer and element
     * offset (the convention of every kernel; the dummy and 0 for an absent optional slice), an {@link Integer} an
     * int, a {@link Float} a float, a {@link Boolean} the int flag 1 or 0. Ops that pass nothing else use this
     * instead of the fluent calls, so that the packing is written once.
     */
    OpenClKernel withArgs(OpenClKernel k, Object... args) {
        countersInUpdate.launching(k.name()); // the name only, no string built on every launch
        k.args();
        for (Object a : args) {
            if (a == null || a instanceof Slice) {
                Slice s = (Slice) a;
                k.mem(mem(s), offset(s));
            } else if (a instanceof cl_mem m) { // the context's own buffers (the error block), without an offset
                k.mem(m);
            } else if (a instanceof Integer v) {
                k.i(v);
            } else if (a instanceof Float v) {
                k.f(v);
            } else if (a instanceof Boolean v) {
                k.i(v ? 1 : 0);
            } else {
                throw new IllegalArgumentException("kernel argument " + a + " of " + k.qualifiedName()
                        + ": expected a Slice, cl_mem, Integer, Float or Boolean");
            }
        }
        return k;
    }

    /**
     * Runs kernel {@code name} of {@code file} over {@code n} elements with {@link #withArgs} {@code args}, one
     * work-item per element ({@link #run1}) or grid-stride ({@link #runStrided}); nothing when {@code n} is 0. A
     * failure names {@code op} and {@code n}.
     */
    void runElements(String op, int n, boolean strided, String file, String name, Object... args) {
        run(op, null, n, strided, file, name, args);
    }

    /**
     * Runs kernel {@code name} of {@code file} with {@link #withArgs} {@code args} over {@code items} work-items
     * ({@link #run1}); nothing when {@code items} is 0. A failure names {@code op} and {@code context} (the op's
     * sizes). Ops of a single kernel launch through it, so that their code is the kernel and its arguments.
     */
    void runItems(String op, String context, long items, String file, String name, Object... args) {
        run(op, context, items, false, file, name, args);
    }

    /** A null {@code context} is "n=items", built only on failure: the element ops run on every step. */
    private void run(String op, String context, long items, boolean strided, String file, String name,
                     Object... args) {
        if (items == 0) {
            return;
        }
        try {
            OpenClKernel k = withArgs(programs.kernel(file, name), args);
            if (strided) {
                runStrided(k, items);
            } else {
                run1(k, items);
            }
        } catch (CLException e) {
            throw clFailure(op, context != null ? context : "n=" + items, e);
        }
    }

    /** The largest power of two at most {@code want} that the kernel's work-groups may have. */
    static int powerOfTwoGroup(OpenClKernel k, int want) {
        return Integer.highestOneBit((int) Math.max(1, Math.min(want, k.maxWorkGroupSize())));
    }

    /** The scratch buffer, grown to at least {@code bytes}. */
    cl_mem scratch(long bytes) {
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

    static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    static int ceilDiv(int n, int d) {
        return (int) (((long) n + d - 1) / d);
    }

    OpenClException clFailure(String op, String context, CLException e) {
        return new OpenClException(op + " (" + context + ") failed on " + device.label() + ": "
                + CL.stringFor_errorCode(e.getStatus()), e.getStatus(), e);
    }

    // ================================================================== validation and slice access

    /**
     * The device memory behind a slice that checks has passed (so an open OpenClBuffer of this backend), or the
     * dummy for a null (optional) slice or a zero-length buffer, whose slices touch nothing.
     */
    cl_mem mem(Slice s) {
        cl_mem m = s == null ? null : ((OpenClBuffer) s.buffer()).mem();
        return m != null ? m : dummy;
    }

    static int offset(Slice s) {
        return s == null ? 0 : s.offset();
    }

    /** The learning rate's element of a checked hyper slice, as the kernels take it (a buffer and an offset). */
    static Slice lr(Slice hyper) {
        return hyper.slice(HYPER_LR, 1);
    }

    /** The step counter's element of a checked counters slice. */
    /**
     * Appends the last arguments of a kernel that runs the Dropout after its own layer (kernels/opencl/
     * fused_dropout.h): its rate, seed, Philox stream, the step's counter and whether there is one (not when
     * {@code rate} is 0 or {@code counters} null).
     */
    OpenClKernel dropoutArgs(OpenClKernel k, float rate, long seed, int stream, Slice counters) {
        Slice drop = rate > 0f && counters != null ? step(counters) : null;
        return k.f(rate).i((int) seed).i((int) (seed >>> 32)).i(stream).mem(mem(drop), offset(drop))
                .i(drop != null ? 1 : 0);
    }

    static Slice step(Slice counters) {
        return counters.slice(COUNTER_STEP, 1);
    }
}
