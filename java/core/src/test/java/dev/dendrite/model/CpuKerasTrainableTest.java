package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras frozen-layer checks on the CPU backend. */
class CpuKerasTrainableTest extends KerasTrainableTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend();
    }
}
