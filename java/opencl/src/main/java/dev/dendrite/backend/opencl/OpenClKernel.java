package dev.dendrite.backend.opencl;

import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clGetKernelWorkGroupInfo;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clReleaseKernel;
import static org.jocl.CL.clSetKernelArg;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * One kernel of a built program, with a small fluent way to set its arguments in order and enqueue it.
 *
 * <p>Arguments are set on every call (the OpenCL kernel object keeps the last values, so one kernel object
 * must not be used from two threads at once: a backend, like a GPU stream, is driven by one thread).
 * {@code clSetKernelArg} copies the value, so nothing needs to stay alive after a call returns. While the backend
 * records a step ({@link OpenClRecording}) a launch goes to the recording instead of the queue.
 */
final class OpenClKernel {
    private final cl_kernel kernel;
    private final cl_program program;
    private final OpenClPrograms owner;
    private final String name;
    private final String file;
    private final long maxWorkGroupSize;
    private int next;
    /**
     * The arguments set since {@link #args()}, by index: a {@code cl_mem}, an {@code int[1]}, a {@code float[1]} or
     * a {@code Long} (a local buffer's size). Kept so that a recorded launch can give them to a kernel object of
     * its own.
     */
    private Object[] values = new Object[16];
    private boolean released;

    OpenClKernel(cl_kernel kernel, cl_program program, OpenClPrograms owner, String name, String file,
                 cl_device_id device) {
        this.kernel = kernel;
        this.program = program;
        this.owner = owner;
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
        return set(m);
    }

    /** A buffer argument followed by its element offset: the convention of every kernel. */
    OpenClKernel mem(cl_mem m, int offset) {
        return mem(m).i(offset);
    }

    /** An {@code int} or {@code uint} argument (same bits). */
    OpenClKernel i(int v) {
        return set(new int[] {v});
    }

    OpenClKernel f(float v) {
        return set(new float[] {v});
    }

    /** A {@code __local} buffer argument of {@code bytes} bytes. */
    OpenClKernel local(long bytes) {
        return set(bytes);
    }

    private OpenClKernel set(Object value) {
        if (next == values.length) {
            values = java.util.Arrays.copyOf(values, 2 * next);
        }
        values[next] = value;
        setArg(kernel, next, value);
        next++;
        return this;
    }

    private static void setArg(cl_kernel k, int index, Object value) {
        if (value instanceof cl_mem m) {
            clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(m));
        } else if (value instanceof int[] v) {
            clSetKernelArg(k, index, Sizeof.cl_int, Pointer.to(v));
        } else if (value instanceof float[] v) {
            clSetKernelArg(k, index, Sizeof.cl_float, Pointer.to(v));
        } else {
            clSetKernelArg(k, index, (Long) value, null);
        }
    }

    /**
     * Enqueues the launch, or, while the backend records a step, gives it to the recording on a kernel object of
     * its own with the same arguments (this one's are overwritten by the next launch).
     */
    private void launch(cl_command_queue queue, int dims, long[] global, long[] local) {
        OpenClRecording recording = owner.recording();
        if (recording == null) {
            clEnqueueNDRangeKernel(queue, kernel, dims, null, global, local, 0, null, null);
            return;
        }
        cl_kernel own = clCreateKernel(program, name, null);
        try {
            for (int i = 0; i < next; i++) {
                setArg(own, i, values[i]);
            }
        } catch (RuntimeException e) {
            clReleaseKernel(own);
            throw e;
        }
        recording.addLaunch(own, qualifiedName(), dims, global, local);
    }

    /** Enqueues a 1-D range of {@code global} work-items in groups of {@code local} ({@code global % local == 0}). */
    void run(cl_command_queue queue, long global, long local) {
        launch(queue, 1, new long[] {global}, new long[] {local});
    }

    /** Enqueues a 2-D range. */
    void run(cl_command_queue queue, long global0, long global1, long local0, long local1) {
        launch(queue, 2, new long[] {global0, global1}, new long[] {local0, local1});
    }

    /** Enqueues a 3-D range (the tiled GEMM: column tiles, row tiles, k-splits). */
    void run(cl_command_queue queue, long global0, long global1, long global2, long local0, long local1,
             long local2) {
        launch(queue, 3, new long[] {global0, global1, global2}, new long[] {local0, local1, local2});
    }

    void release() {
        if (!released) {
            released = true;
            clReleaseKernel(kernel);
        }
    }
}
