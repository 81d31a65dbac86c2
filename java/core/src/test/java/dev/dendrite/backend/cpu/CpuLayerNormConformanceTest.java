package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerNormConformanceTest;

/** The layer-normalisation family's conformance suite on the CPU backend (three threads: uneven splits). */
class CpuLayerNormConformanceTest extends LayerNormConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
