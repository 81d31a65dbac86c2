package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerConformanceTest;

/**
 * The Keras-toolbox optimizer ops on the OpenCL backend (PoCL's CPU device on CI). Skipped without an OpenCL
 * device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClOptimizerConformanceTest extends OptimizerConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
