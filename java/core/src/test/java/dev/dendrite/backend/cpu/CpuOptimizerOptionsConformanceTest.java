package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerOptionsConformanceTest;

/** The optimizer-options conformance suite on the CPU backend (three threads: uneven splits on two cores). */
class CpuOptimizerOptionsConformanceTest extends OptimizerOptionsConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
