package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerConformanceTest;

/** The Keras-toolbox optimizer ops on the CUDA backend; skipped, with the reason, where there is no usable GPU. */
class CudaOptimizerConformanceTest extends OptimizerConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
