package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.NoiseConformanceTest;

/** The noise family's conformance suite on the CPU backend (three threads: uneven splits of the Philox blocks). */
class CpuNoiseConformanceTest extends NoiseConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
