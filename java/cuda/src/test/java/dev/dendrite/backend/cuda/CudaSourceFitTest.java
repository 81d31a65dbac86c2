package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.SourceFitBackendTest;

/**
 * Training from a data source on the CUDA backend, where the step is a replayed CUDA graph reading the staging
 * slots through the index map, against training on the same arrays. Skipped, with the reason, without a GPU.
 */
class CudaSourceFitTest extends SourceFitBackendTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
