package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.CallTest;

/**
 * {@link dev.dendrite.model.Sequential#call} on the CUDA backend, with fit's steps as CUDA graphs around the calls;
 * skipped, with the reason, where there is no usable GPU (CI runs it on the emulated driver).
 */
class CudaCallTest extends CallTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
