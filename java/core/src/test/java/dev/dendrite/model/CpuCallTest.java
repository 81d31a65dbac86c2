package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** {@link Sequential#call} on the CPU backend. */
class CpuCallTest extends CallTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
