package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** How the OpenCL tests get a backend: skipped where there is no OpenCL device, except on CI. */
final class OpenClTestSupport {
    private OpenClTestSupport() {
    }

    /** Whether this run is CI's ({@code CI=true}), which must have a real OpenCL device (PoCL). */
    static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * A new backend on the default device. Without OpenCL the calling test is skipped with the reason, but on
     * CI it fails: CI installs PoCL precisely so that this suite runs for real.
     */
    static OpenClBackend backendOrSkip() {
        try {
            return new OpenClBackend();
        } catch (UnsupportedOperationException e) {
            if (onCi()) {
                fail("CI=true but no OpenCL device could be opened; CI must install an OpenCL runtime "
                        + "(ocl-icd-libopencl1, ocl-icd-opencl-dev for libOpenCL.so, pocl-opencl-icd): "
                        + e.getMessage(), e);
            }
            Assumptions.assumeTrue(false, "no OpenCL device: " + e.getMessage());
            throw new AssertionError("unreachable");
        }
    }
}
