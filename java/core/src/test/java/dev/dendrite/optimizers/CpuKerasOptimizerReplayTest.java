package dev.dendrite.optimizers;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The 50-step Keras replay on the CPU backend. */
class CpuKerasOptimizerReplayTest extends KerasOptimizerReplayTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
