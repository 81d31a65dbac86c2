package dev.dendrite.backend.opencl;

import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clReleaseKernel;

import java.util.ArrayList;
import java.util.List;

import org.jocl.CLException;
import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;

import dev.dendrite.backend.CapturedStep;

/**
 * The OpenCL backend's recorded step ({@link OpenClBackend#capture}): OpenCL has no graphs, so this is the next
 * best thing. Each kernel launch of the step gets a kernel object of its own whose arguments are set once, while
 * recording; a replay is then only the {@code clEnqueueNDRangeKernel} calls (and the few fills and copies), with
 * none of the {@code clSetKernelArg} calls, argument checks and Java work that issuing the ops again would cost.
 *
 * <p>What the ops read per step (counters, learning rate) is in device memory, as the op set requires, so the same
 * launches are right on every replay.
 */
final class OpenClRecording implements CapturedStep {
    /** One recorded command: a launch of a kernel object of its own, or a fill or copy. */
    private interface Command {
        void enqueue(cl_command_queue queue);
    }

    private record Launch(cl_kernel kernel, String name, int dims, long[] global, long[] local) implements Command {
        @Override
        public void enqueue(cl_command_queue queue) {
            clEnqueueNDRangeKernel(queue, kernel, dims, null, global, local, 0, null, null);
        }
    }

    private final OpenClBackend backend;
    private final List<Command> commands = new ArrayList<>();
    private final List<cl_kernel> kernels = new ArrayList<>();
    private boolean closed;

    OpenClRecording(OpenClBackend backend) {
        this.backend = backend;
    }

    /** Records a launch of {@code kernel}, a kernel object this recording now owns, its arguments already set. */
    void addLaunch(cl_kernel kernel, String name, int dims, long[] global, long[] local) {
        kernels.add(kernel);
        commands.add(new Launch(kernel, name, dims, global.clone(), local.clone()));
    }

    /** Records a command that is not a kernel launch (a fill or a copy). */
    void addCommand(java.util.function.Consumer<cl_command_queue> command) {
        commands.add(command::accept);
    }

    /** Number of recorded commands. */
    int size() {
        return commands.size();
    }

    /** Each recorded command in order: a launch's "file:kernel", or "(fill or copy)"; for tests and step listings. */
    List<String> commandNames() {
        List<String> names = new ArrayList<>();
        for (Command c : commands) {
            names.add(c instanceof Launch l ? l.name() : "(fill or copy)");
        }
        return names;
    }

    @Override
    public void run() {
        if (closed) {
            throw new IllegalStateException("opencl: the recorded step is closed");
        }
        backend.replay(this);
    }

    /** Enqueues every command on {@code queue}; the backend calls this with its queue. */
    void enqueueAll(cl_command_queue queue) {
        for (Command c : commands) {
            try {
                c.enqueue(queue);
            } catch (CLException e) {
                String what = c instanceof Launch l ? "kernel " + l.name() : "a fill or copy";
                throw new OpenClException("opencl: replaying a recorded step failed at " + what + ": "
                        + e.getMessage(), e.getStatus(), e);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        backend.forget(this);
        for (cl_kernel k : kernels) {
            clReleaseKernel(k); // commands already enqueued keep their kernel alive until they finish
        }
        kernels.clear();
        commands.clear();
    }
}
