package dev.dendrite.layers;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras normalisation-weight checks on the CPU backend. */
class CpuKerasNormalizationWeightsTest extends KerasNormalizationWeightsTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend();
    }
}
