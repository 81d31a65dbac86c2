package dev.dendrite.backend.cuda;

import dev.dendrite.backend.AugmentConformanceTest;
import dev.dendrite.backend.Backend;

import org.junit.jupiter.api.Assumptions;

/** The augmentation family on CUDA; skipped, with the reason, where there is no usable GPU. */
class CudaAugmentConformanceTest extends AugmentConformanceTest {
    @Override
    protected Backend createBackend() {
        try {
            return new CudaBackend();
        } catch (UnsupportedOperationException e) {
            System.out.println(getClass().getSimpleName() + " skipped: " + e.getMessage());
            Assumptions.abort(e.getMessage());
            return null;
        }
    }
}
