package dev.dendrite.backend.opencl;

import dev.dendrite.backend.AugmentConformanceTest;
import dev.dendrite.backend.Backend;

/** The augmentation family on OpenCL (PoCL on CI); skipped without a device, except on CI. */
class OpenClAugmentConformanceTest extends AugmentConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
