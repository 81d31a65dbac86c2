package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.OptimizerOptionsTrainingTest;

/**
 * {@link OptimizerOptionsTrainingTest} on the OpenCL backend (PoCL on CI). Skipped without an OpenCL device, except on
 * CI ({@code CI=true}), where that is a failure.
 */
class OpenClOptimizerOptionsTrainingTest extends OptimizerOptionsTrainingTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
