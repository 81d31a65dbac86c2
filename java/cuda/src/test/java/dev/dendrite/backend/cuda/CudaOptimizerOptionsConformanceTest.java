package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerOptionsConformanceTest;
/** The optimizer-options conformance suite on the CUDA backend; skipped, with the reason, without a usable GPU. */
class CudaOptimizerOptionsConformanceTest extends OptimizerOptionsConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
