package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.KerasTrainableTest;

/**
 * The Keras frozen-layer checks on the OpenCL backend (PoCL in CI), with recorded steps. Skipped without an OpenCL
 * device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClKerasTrainableTest extends KerasTrainableTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
