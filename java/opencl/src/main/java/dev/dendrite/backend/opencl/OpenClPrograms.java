package dev.dendrite.backend.opencl;

import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clGetProgramBuildInfo;
import static org.jocl.CL.clReleaseProgram;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * Builds the backend's OpenCL programs at run time, each the first time one of its kernels is needed, and
 * keeps the programs and kernels until {@link #close()}.
 *
 * <p>A build failure throws an {@link OpenClException} naming the program file, the device and the build
 * options, with the compiler's full log.
 */
final class OpenClPrograms implements AutoCloseable {
    private final cl_context context;
    private final cl_device_id device;
    private final String deviceLabel;
    private final String options;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, OpenClKernel> kernels = new HashMap<>();
    /** The step being recorded ({@link OpenClBackend#capture}), or null: where kernel launches go meanwhile. */
    private OpenClRecording recording;

    OpenClPrograms(cl_context context, OpenClDevice device) {
        this.context = context;
        this.device = device.device;
        this.deviceLabel = device.label();
        // IEEE-rounded division and sqrt where the device offers them, so that x / (1 - rate) and
        // 1 / sqrt(var + eps) round as Java does; never fast-math, which would defeat Kahan summation.
        this.options = device.correctlyRoundedDivideSqrt() ? "-cl-fp32-correctly-rounded-divide-sqrt" : "";
    }

    OpenClRecording recording() {
        return recording;
    }

    void recordInto(OpenClRecording r) {
        recording = r;
    }

    /** The build options every program gets. */
    String options() {
        return options;
    }

    /** Kernel {@code name} of {@code file} (e.g. {@code "gemm.cl"}), building the file on first use. */
    OpenClKernel kernel(String file, String name) {
        OpenClKernel k = kernels.get(name);
        if (k != null) {
            if (!k.file().equals(file)) { // kernel names are unique across the .cl files; keep them so
                throw new IllegalStateException("kernel " + name + " asked for in " + file + " but cached from "
                        + k.file());
            }
            return k;
        }
        cl_program program = programs.get(file);
        if (program == null) {
            program = compile(file, KernelSources.load(file));
            programs.put(file, program);
        }
        cl_kernel ck;
        try {
            ck = clCreateKernel(program, name, null);
        } catch (CLException e) {
            throw new OpenClException("kernel " + name + " could not be created from program " + file + ": "
                    + CL.stringFor_errorCode(e.getStatus()), e.getStatus(), e);
        }
        k = new OpenClKernel(ck, program, this, name, file, device);
        kernels.put(name, k);
        return k;
    }

    /**
     * Builds {@code source} with the backend's options and releases it again: checks that a source compiles
     * on this device ({@code label} names it in messages).
     *
     * @throws OpenClException with the full build log when the compiler rejects the source
     */
    void checkBuild(String label, String source) {
        clReleaseProgram(compile(label, source));
    }

    private cl_program compile(String label, String source) {
        cl_program program;
        try {
            program = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        } catch (CLException e) {
            throw new OpenClException("OpenCL program " + label + " could not be created: "
                    + CL.stringFor_errorCode(e.getStatus()), e.getStatus(), e);
        }
        try {
            clBuildProgram(program, 1, new cl_device_id[] {device}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(program);
            clReleaseProgram(program);
            String status = CL.stringFor_errorCode(e.getStatus());
            throw new OpenClException("OpenCL program " + label + " failed to build for " + deviceLabel + " ("
                    + status + ", options '" + options + "'); build log:\n" + log, e.getStatus(), e);
        }
        return program;
    }

    private String buildLog(cl_program program) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] bytes = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null);
            int n = bytes.length;
            while (n > 0 && (bytes[n - 1] == 0 || bytes[n - 1] == '\n')) {
                n--;
            }
            String log = new String(bytes, 0, n, StandardCharsets.UTF_8);
            return log.isEmpty() ? "(the driver gave no build log)" : log;
        } catch (CLException e) {
            return "(the build log could not be read: " + CL.stringFor_errorCode(e.getStatus()) + ")";
        }
    }

    /** Releases every kernel and program. */
    @Override
    public void close() {
        for (OpenClKernel k : kernels.values()) {
            k.release();
        }
        kernels.clear();
        for (cl_program p : programs.values()) {
            clReleaseProgram(p);
        }
        programs.clear();
    }
}
