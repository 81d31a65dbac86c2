package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.layers.KerasActivityRegularizationTest;

/**
 * The Keras ActivityRegularization checks on the OpenCL backend (PoCL in CI), with recorded steps. Skipped without an
 * OpenCL device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClKerasActivityRegularizationTest extends KerasActivityRegularizationTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
