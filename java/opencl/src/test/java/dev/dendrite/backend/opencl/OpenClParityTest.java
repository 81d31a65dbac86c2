package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.BackendParityTest;

/**
 * One epoch of Fashion-MNIST training on the OpenCL backend against the CPU backend (PoCL's CPU device on CI; a
 * GPU where there is one). Skipped without an OpenCL device, except on CI ({@code CI=true}), where that is a
 * failure.
 */
class OpenClParityTest extends BackendParityTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
