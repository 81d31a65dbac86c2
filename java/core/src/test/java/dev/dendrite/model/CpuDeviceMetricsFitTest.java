package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/** Device-counted metrics in a fit on the CPU backend (whose steps are re-issued, not recorded). */
class CpuDeviceMetricsFitTest extends DeviceMetricsFitTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
