package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.MixupConformanceTest;

/** Mixup's conformance suite on the CPU backend (three threads: uneven splits of the rows). */
class CpuMixupConformanceTest extends MixupConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
