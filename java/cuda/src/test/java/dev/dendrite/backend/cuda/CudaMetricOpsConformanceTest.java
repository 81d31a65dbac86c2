package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricOpsConformanceTest;

import org.junit.jupiter.api.Assumptions;

/** The metric family's conformance suite on the CUDA backend; skipped, with the reason, without a GPU. */
class CudaMetricOpsConformanceTest extends MetricOpsConformanceTest {
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
