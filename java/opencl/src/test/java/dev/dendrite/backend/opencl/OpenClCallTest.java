package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.CallTest;

/**
 * {@link dev.dendrite.model.Sequential#call} on the OpenCL backend (PoCL in CI). Skipped without an OpenCL device,
 * except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClCallTest extends CallTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
