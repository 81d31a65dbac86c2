package dev.dendrite.backend.cuda;

import dev.dendrite.backend.AdafactorConformanceTest;
import dev.dendrite.backend.Backend;

/** Adafactor's conformance suite on the CUDA backend; skipped, with the reason, where there is no usable GPU. */
class CudaAdafactorConformanceTest extends AdafactorConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
