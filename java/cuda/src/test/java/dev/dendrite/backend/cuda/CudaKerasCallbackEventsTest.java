package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.callbacks.KerasCallbackEventsTest;

/**
 * The Keras callback events on the CUDA backend, whose evaluation batches are CUDA graphs; skipped, with the
 * reason, where there is no usable GPU (CI runs it on the emulated driver).
 */
class CudaKerasCallbackEventsTest extends KerasCallbackEventsTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
