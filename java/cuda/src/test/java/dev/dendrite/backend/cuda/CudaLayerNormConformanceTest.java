package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerNormConformanceTest;

/** The layer-normalisation family's conformance suite on the CUDA backend; skipped, with the reason, without a GPU. */
class CudaLayerNormConformanceTest extends LayerNormConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
