package dev.dendrite.layers;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras ActivityRegularization checks on the CPU backend. */
class CpuKerasActivityRegularizationTest extends KerasActivityRegularizationTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
