package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.DeviceMetricsFitTest;

import org.junit.jupiter.api.Assumptions;

/**
 * Device-counted metrics in a fit on the CUDA backend, whose training steps are captured as CUDA graphs: the metric
 * kernels are in the graph and nothing is read back per batch. Skipped, with the reason, without a GPU.
 */
class CudaDeviceMetricsFitTest extends DeviceMetricsFitTest {
    @Override
    protected Backend createBackend() {
        try {
            return new CudaBackend();
        } catch (UnsupportedOperationException e) {
            System.out.println(getClass().getSimpleName() + " skipped: " + e.getMessage());
            Assumptions.abort(e.getMessage());
            return null;
        }
    }
}
