package dev.dendrite.backend.opencl;

import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clGetKernelWorkGroupInfo;
import static org.jocl.CL.clReleaseKernel;
import static org.jocl.CL.clSetKernelArg;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * One kernel of a built program, with a small fluent way to set its arguments in order and enqueue it.
 *
 * <p>Arguments are set on every call (the OpenCL kernel object keeps the last values, so one kernel object
 * must not be used from two threads at once: a backend, like a GPU stream, is driven by one thread).
 * {@code clSetKernelArg} copies the value, so nothing needs to stay alive after a call returns.
 */
final class OpenClKernel {
    private final cl_kernel kernel;
    private final String name;
    private final String file;
    private final long maxWorkGroupSize;
    private int next;
    private boolean released;

    OpenClKernel(cl_kernel kernel, String name, String file, cl_device_id device) {
        this.kernel = kernel;
        this.name = name;
        this.file = file;
        long[] wg = new long[1];
        clGetKernelWorkGroupInfo(kernel, device, CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(wg), null);
        this.maxWorkGroupSize = wg[0];
    }

    String name() {
        return name;
    }

    /** The program file it comes from, e.g. {@code "gemm.cl"}. */
    String file() {
        return file;
    }

    /** {@code "file.cl:kernel"}, for messages. */
    String qualifiedName() {
        return file + ":" + name;
    }

    /** The most work-items a group of this kernel may have on this device (registers and local memory permitting). */
    long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    /** Starts a new argument list: the next argument set is argument 0. */
    OpenClKernel args() {
        next = 0;
        return this;
    }

    OpenClKernel mem(cl_mem m) {
        clSetKernelArg(kernel, next++, Sizeof.cl_mem, Pointer.to(m));
        return this;
    }

    /** A buffer argument followed by its element offset: the convention of every kernel. */
    OpenClKernel mem(cl_mem m, int offset) {
        return mem(m).i(offset);
    }

    /** An {@code int} or {@code uint} argument (same bits). */
    OpenClKernel i(int v) {
        clSetKernelArg(kernel, next++, Sizeof.cl_int, Pointer.to(new int[] {v}));
        return this;
    }

    OpenClKernel f(float v) {
        clSetKernelArg(kernel, next++, Sizeof.cl_float, Pointer.to(new float[] {v}));
        return this;
    }

    /** A {@code __local} buffer argument of {@code bytes} bytes. */
    OpenClKernel local(long bytes) {
        clSetKernelArg(kernel, next++, bytes, null);
        return this;
    }

    /** Enqueues a 1-D range of {@code global} work-items in groups of {@code local} ({@code global % local == 0}). */
    void run(cl_command_queue queue, long global, long local) {
        clEnqueueNDRangeKernel(queue, kernel, 1, null, new long[] {global}, new long[] {local}, 0, null, null);
    }

    /** Enqueues a 2-D range. */
    void run(cl_command_queue queue, long global0, long global1, long local0, long local1) {
        clEnqueueNDRangeKernel(queue, kernel, 2, null, new long[] {global0, global1}, new long[] {local0, local1},
                0, null, null);
    }

    /** Enqueues a 3-D range (the tiled GEMM: column tiles, row tiles, k-splits). */
    void run(cl_command_queue queue, long global0, long global1, long global2, long local0, long local1,
             long local2) {
        clEnqueueNDRangeKernel(queue, kernel, 3, null, new long[] {global0, global1, global2},
                new long[] {local0, local1, local2}, 0, null, null);
    }

    void release() {
        if (!released) {
            released = true;
            clReleaseKernel(kernel);
        }
    }
}
