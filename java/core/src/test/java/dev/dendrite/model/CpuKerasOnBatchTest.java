package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras on-batch checks on the CPU backend. */
class CpuKerasOnBatchTest extends KerasOnBatchTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
