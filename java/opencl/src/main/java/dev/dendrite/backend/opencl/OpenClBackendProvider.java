package dev.dendrite.backend.opencl;

import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendProvider;

/**
 * Registers the opencl backend with {@link dev.dendrite.backend.Backends} (through {@code META-INF/services}), so that
 * {@code Backends.create("opencl")} and {@code Backends.auto()} find it wherever this artifact is on the class path.
 */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public Backend create() {
        return new OpenClBackend();
    }

    /**
     * Passes over a machine whose only OpenCL platforms are PoCL's, unless a device was chosen
     * ({@link OpenClDevice#PROPERTY}): PoCL's devices are the host's CPU, which auto leaves to the faster cpu
     * backend, and listing them starts PoCL's LLVM, which puts its own handlers for SIGSEGV, SIGBUS, SIGFPE and SIGILL
     * in place of the JVM's. The JVM takes such signals in normal running (a safepoint poll, an implicit null check),
     * and with LLVM's handler in the way a later training run died with a segmentation fault and no error report:
     * {@code dendrite train} in one run in six on a 2-vCPU AMD EPYC with Debian 12's PoCL 3.1 and LLVM 15
     * (2026-12-07); with the platforms' names asked only, none in twelve. Named explicitly, the backend still runs
     * on PoCL (the test suites do), with that risk.
     */
    @Override
    public String passOverUnstarted() {
        if (OpenClDevice.configuredSelector() != null) {
            return null;
        }
        List<String> platforms;
        try {
            platforms = OpenClDevice.platformNames();
        } catch (RuntimeException | LinkageError e) {
            return null; // starting it says why it cannot run
        }
        if (platforms.isEmpty() || !platforms.stream().allMatch(OpenClDevice.POCL_PLATFORM::equals)) {
            return null;
        }
        return "not started: the only OpenCL platform is PoCL (" + OpenClDevice.POCL_PLATFORM + "), whose devices"
                + " are this machine's CPU, which the cpu backend runs faster; starting PoCL replaces the JVM's"
                + " signal handlers with LLVM's, which can crash the JVM later. --backend opencl (or -D"
                + OpenClDevice.PROPERTY + "=0) runs on it anyway";
    }
}
