package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerOptionsConformanceTest;
import org.junit.jupiter.api.Assumptions;

/** The optimizer-options conformance suite on the CUDA backend; skipped, with the reason, without a usable GPU. */
class CudaOptimizerOptionsConformanceTest extends OptimizerOptionsConformanceTest {
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
