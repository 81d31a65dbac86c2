package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.CounterAdvanceConformance;

/** {@link CounterAdvanceConformance} on CUDA; skipped, with the reason, where there is no usable GPU. */
class CudaCounterAdvanceTest extends CounterAdvanceConformance {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(CudaCounterAdvanceTest.class);
    }

    @Override
    protected long fusedUpdates(Backend backend) {
        return ((CudaBackend) backend).countersAdvancedByUpdates();
    }

    /** -Ddendrite.cuda.fuse=false issues the counters' own kernel after the update. */
    @Override
    protected boolean advancesInItsRuleKernels() {
        return !"false".equalsIgnoreCase(System.getProperty("dendrite.cuda.fuse"));
    }
}
