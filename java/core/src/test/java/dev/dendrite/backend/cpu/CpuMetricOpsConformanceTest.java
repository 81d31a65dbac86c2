package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MetricOpsConformanceTest;

/** The metric family's conformance suite on the CPU backend. */
class CpuMetricOpsConformanceTest extends MetricOpsConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
