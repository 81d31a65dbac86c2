package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricOpsConformanceTest;

/** The metric family's conformance suite on the CUDA backend; skipped, with the reason, without a GPU. */
class CudaMetricOpsConformanceTest extends MetricOpsConformanceTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
