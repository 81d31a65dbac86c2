package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerOpsConformanceTest;

/**
 * The layer ops' conformance on the OpenCL backend (PoCL's CPU device on CI). Skipped without an OpenCL device,
 * except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClLayerOpsConformanceTest extends LayerOpsConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
