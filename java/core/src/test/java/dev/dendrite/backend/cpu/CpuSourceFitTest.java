package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.SourceFitBackendTest;

/** Training from a data source on the CPU backend, against training on the same arrays. */
class CpuSourceFitTest extends SourceFitBackendTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
