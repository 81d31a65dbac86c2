package dev.dendrite.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import dev.dendrite.backend.AdafactorConformanceTest;
import dev.dendrite.backend.Backend;

/** Adafactor's conformance suite on the CUDA backend; skipped, with the reason, where there is no usable GPU. */
class CudaAdafactorConformanceTest extends AdafactorConformanceTest {
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
