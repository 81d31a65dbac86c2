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

    /** -Ddendrite.opencl.fuse=false issues the counters' own kernel after the update. */
    @Override
    protected boolean advancesInItsRuleKernels() {
        return !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.fuse"));
    }
}
