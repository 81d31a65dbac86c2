package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.KerasOnBatchTest;

/**
 * The Keras on-batch checks on the OpenCL backend (PoCL in CI). Skipped without an OpenCL device, except on CI
 * ({@code CI=true}), where that is a failure.
 */
class OpenClKerasOnBatchTest extends KerasOnBatchTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
