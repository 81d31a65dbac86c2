package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerOptionsConformanceTest;

/**
 * The optimizer-options conformance suite on the OpenCL backend (PoCL on CI). Skipped without an OpenCL device,
 * except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClOptimizerOptionsConformanceTest extends OptimizerOptionsConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
