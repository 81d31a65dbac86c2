package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerOpsConformanceTest;

/** The layer ops' conformance on the CUDA backend; skipped, with the reason, where there is no usable GPU. */
class CudaLayerOpsConformanceTest extends LayerOpsConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
