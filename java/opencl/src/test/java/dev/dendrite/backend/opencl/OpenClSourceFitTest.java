package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.SourceFitBackendTest;

/**
 * Training from a data source on the OpenCL backend (PoCL's CPU device on CI), against training on the same
 * arrays. Skipped without an OpenCL device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClSourceFitTest extends SourceFitBackendTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
