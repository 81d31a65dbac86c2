package dev.dendrite.losses;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras label smoothing checks on the CPU backend. */
class CpuKerasLabelSmoothingTest extends KerasLabelSmoothingTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
