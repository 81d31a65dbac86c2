package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.layers.KerasActivityRegularizationTest;

/**
 * The Keras ActivityRegularization checks on the CUDA backend, whose training steps are CUDA graphs; skipped, with the
 * reason, where there is no usable GPU (CI runs it on the emulated driver).
 */
class CudaKerasActivityRegularizationTest extends KerasActivityRegularizationTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
