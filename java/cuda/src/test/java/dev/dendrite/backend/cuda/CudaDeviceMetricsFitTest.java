package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.DeviceMetricsFitTest;

/**
 * Device-counted metrics in a fit on the CUDA backend, whose training steps are captured as CUDA graphs: the metric
 * kernels are in the graph and nothing is read back per batch. Skipped, with the reason, without a GPU.
 */
class CudaDeviceMetricsFitTest extends DeviceMetricsFitTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass());
    }
}
