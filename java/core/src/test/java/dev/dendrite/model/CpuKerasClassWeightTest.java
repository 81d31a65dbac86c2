package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras class_weight checks on the CPU backend. */
class CpuKerasClassWeightTest extends KerasClassWeightTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
