package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.losses.KerasLabelSmoothingTest;

/**
 * The Keras label smoothing checks on the CUDA backend, whose training steps are CUDA graphs; skipped, with the
 * reason, where there is no usable GPU (CI runs it on the emulated driver).
 */
class CudaKerasLabelSmoothingTest extends KerasLabelSmoothingTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
