package dev.dendrite.backend.opencl;

import dev.dendrite.backend.AdafactorConformanceTest;
import dev.dendrite.backend.Backend;

/**
 * Adafactor's conformance suite on the OpenCL backend (PoCL's CPU device on CI). Skipped without an OpenCL device,
 * except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClAdafactorConformanceTest extends AdafactorConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
