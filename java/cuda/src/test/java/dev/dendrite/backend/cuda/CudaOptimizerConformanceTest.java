package dev.dendrite.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerConformanceTest;

/** The Keras-toolbox optimizer ops on the CUDA backend; skipped, with the reason, where there is no usable GPU. */
class CudaOptimizerConformanceTest extends OptimizerConformanceTest {
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
