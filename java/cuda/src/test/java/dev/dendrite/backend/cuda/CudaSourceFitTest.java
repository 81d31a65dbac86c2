package dev.dendrite.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.SourceFitBackendTest;

/**
 * Training from a data source on the CUDA backend, where the step is a replayed CUDA graph reading the staging
 * slots through the index map, against training on the same arrays. Skipped, with the reason, without a GPU.
 */
class CudaSourceFitTest extends SourceFitBackendTest {
    @Override
    protected Backend createBackend() {
        try {
            return new CudaBackend();
        } catch (UnsupportedOperationException e) {
            // Surefire shows a class skipped in @BeforeAll as "Tests run: 0" without the reason: print it.
            System.out.println(getClass().getSimpleName() + " skipped: " + e.getMessage());
            Assumptions.abort(e.getMessage());
            return null;
        }
    }
}
