package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricOpsConformanceTest;

/**
 * The metric family's conformance suite on the OpenCL backend (PoCL on CI). Skipped without an OpenCL device,
 * except on CI, where that is a failure.
 */
class OpenClMetricOpsConformanceTest extends MetricOpsConformanceTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
