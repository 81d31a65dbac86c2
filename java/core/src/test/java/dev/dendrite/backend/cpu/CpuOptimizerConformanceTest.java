package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OptimizerConformanceTest;

/** The Keras-toolbox optimizer ops on the CPU backend (three threads, so that the parallel paths split unevenly). */
class CpuOptimizerConformanceTest extends OptimizerConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
