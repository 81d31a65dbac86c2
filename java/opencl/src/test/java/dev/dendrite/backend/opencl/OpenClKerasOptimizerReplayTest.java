package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.optimizers.KerasOptimizerReplayTest;

/**
 * The 50-step Keras replay on the OpenCL backend (PoCL in CI), with recorded steps. Skipped without an OpenCL
 * device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClKerasOptimizerReplayTest extends KerasOptimizerReplayTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
