package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerOpsConformanceTest;

import org.junit.jupiter.api.Assumptions;

/** The layer ops' conformance on the CUDA backend; skipped, with the reason, where there is no usable GPU. */
class CudaLayerOpsConformanceTest extends LayerOpsConformanceTest {
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
