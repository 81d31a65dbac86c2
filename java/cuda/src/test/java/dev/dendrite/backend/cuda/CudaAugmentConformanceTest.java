package dev.dendrite.backend.cuda;

import dev.dendrite.backend.AugmentConformanceTest;
import dev.dendrite.backend.Backend;

/** The augmentation family on CUDA; skipped, with the reason, where there is no usable GPU. */
class CudaAugmentConformanceTest extends AugmentConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
