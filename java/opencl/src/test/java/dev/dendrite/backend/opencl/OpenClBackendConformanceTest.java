package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendConformanceTest;

/**
 * The op-set conformance suite on the OpenCL backend (PoCL's CPU device on CI; a GPU where there is one).
 * Skipped without an OpenCL device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
