package dev.dendrite.backend.cpu;

import dev.dendrite.backend.AdafactorConformanceTest;
import dev.dendrite.backend.Backend;

/** Adafactor's conformance suite on the CPU backend. */
class CpuAdafactorConformanceTest extends AdafactorConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
