package dev.dendrite.losses;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras regression loss checks on the CPU backend. */
class CpuKerasRegressionLossesTest extends KerasRegressionLossesTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
