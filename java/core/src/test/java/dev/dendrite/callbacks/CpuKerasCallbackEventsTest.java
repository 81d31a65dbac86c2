package dev.dendrite.callbacks;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** The Keras callback events on the CPU backend. */
class CpuKerasCallbackEventsTest extends KerasCallbackEventsTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
