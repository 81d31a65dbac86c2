package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.LayerPairsTest;

/**
 * Layer pairs on the OpenCL backend, where a batch norm's kernels drop values for the Dropout after it: training
 * and predictions bit for bit like the layers apart. Skipped without an OpenCL device, except on CI.
 */
class OpenClLayerPairsTest extends LayerPairsTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
