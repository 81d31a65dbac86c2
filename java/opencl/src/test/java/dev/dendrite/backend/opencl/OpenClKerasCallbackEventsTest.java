package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.callbacks.KerasCallbackEventsTest;

/**
 * The Keras callback events on the OpenCL backend (PoCL in CI), whose evaluation batches are recorded. Skipped
 * without an OpenCL device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClKerasCallbackEventsTest extends KerasCallbackEventsTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
