package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MixupConformanceTest;

/** Mixup's conformance suite on the CUDA backend; skipped, with the reason, without a usable GPU. */
class CudaMixupConformanceTest extends MixupConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
