package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerOpsConformanceTest;

/** The layer ops' conformance on the CPU backend, with three threads so that the parallel paths split unevenly. */
class CpuLayerOpsConformanceTest extends LayerOpsConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
