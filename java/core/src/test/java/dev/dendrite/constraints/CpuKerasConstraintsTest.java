package dev.dendrite.constraints;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras constraint checks on the CPU backend. */
class CpuKerasConstraintsTest extends KerasConstraintsTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend();
    }
}
