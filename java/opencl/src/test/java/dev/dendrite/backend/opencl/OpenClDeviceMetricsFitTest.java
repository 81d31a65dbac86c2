package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.DeviceMetricsFitTest;

/**
 * Device-counted metrics in a fit on the OpenCL backend (PoCL on CI), whose training steps are recorded and
 * replayed: the metric ops replay with them and nothing is read back per batch. Skipped without an OpenCL device,
 * except on CI, where that is a failure.
 */
class OpenClDeviceMetricsFitTest extends DeviceMetricsFitTest {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }
}
