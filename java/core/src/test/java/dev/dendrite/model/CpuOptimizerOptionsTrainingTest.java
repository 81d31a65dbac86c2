package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** {@link OptimizerOptionsTrainingTest} on the CPU backend. */
class CpuOptimizerOptionsTrainingTest extends OptimizerOptionsTrainingTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
