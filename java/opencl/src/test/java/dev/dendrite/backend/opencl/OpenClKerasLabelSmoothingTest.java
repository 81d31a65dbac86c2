package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.losses.KerasLabelSmoothingTest;

/**
 * The Keras label smoothing checks on the OpenCL backend (PoCL in CI), with recorded steps. Skipped without an
 * OpenCL device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClKerasLabelSmoothingTest extends KerasLabelSmoothingTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
