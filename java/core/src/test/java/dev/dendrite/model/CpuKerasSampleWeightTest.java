package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras sample_weight checks on the CPU backend. */
class CpuKerasSampleWeightTest extends KerasSampleWeightTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
