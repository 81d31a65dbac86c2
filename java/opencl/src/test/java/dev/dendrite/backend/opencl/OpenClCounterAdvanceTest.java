package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.CounterAdvanceConformance;

/** {@link CounterAdvanceConformance} on OpenCL (PoCL on CI). */
class OpenClCounterAdvanceTest extends CounterAdvanceConformance {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }

    @Override
    protected long fusedUpdates(Backend backend) {
        return ((OpenClBackend) backend).countersAdvancedByUpdates();
    }
}
