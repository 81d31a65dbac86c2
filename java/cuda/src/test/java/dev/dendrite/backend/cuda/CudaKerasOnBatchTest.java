package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.KerasOnBatchTest;

/**
 * The Keras on-batch checks on the CUDA backend; skipped, with the reason, where there is no usable GPU (CI runs it
 * on the emulated driver).
 */
class CudaKerasOnBatchTest extends KerasOnBatchTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
