package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.layers.KerasNormalizationWeightsTest;

/**
 * The Keras normalisation-weight checks on the OpenCL backend (PoCL in CI), with recorded steps. Skipped without an
 * OpenCL device, except on CI ({@code CI=true}), where that is a failure.
 */
class OpenClKerasNormalizationWeightsTest extends KerasNormalizationWeightsTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
