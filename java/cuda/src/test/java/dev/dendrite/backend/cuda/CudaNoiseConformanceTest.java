package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.NoiseConformanceTest;

/** The noise family's conformance suite on the CUDA backend; skipped, with the reason, without a usable GPU. */
class CudaNoiseConformanceTest extends NoiseConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
