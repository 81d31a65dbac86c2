package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendProbes;
import dev.dendrite.backend.Backends;

/**
 * With dendrite-opencl on the class path (and not dendrite-cuda), {@link Backends} finds the OpenCL backend
 * through its {@link OpenClBackendProvider}, and still says that the CUDA one is missing as an artifact.
 */
class OpenClDiscoveryTest {

    @Test
    void theProviderIsFoundAndCreatesTheOpenClBackend() {
        Backends.Probe p = BackendProbes.of("opencl");
        assertNotEquals(Backends.Status.NOT_ON_CLASS_PATH, p.status(), p.toString());
        if (!p.available()) {
            // CI installs PoCL, so a device must be found there; elsewhere, no device is a reason, not a failure.
            assertTrue(!"true".equalsIgnoreCase(System.getenv("CI")), "CI=true but " + p);
            assertEquals(Backends.Status.NO_DEVICE, p.status(), p.toString());
            org.junit.jupiter.api.Assumptions.abort("no OpenCL device: " + p.detail());
        }
        try (Backend b = Backends.create("opencl")) {
            assertTrue(b instanceof OpenClBackend, b.getClass().getName());
        }
    }

    @Test
    void cudaIsReportedAsAMissingArtifact() {
        // This module's class path lacks dendrite-cuda; one with every backend (the GPU bundle's) has it.
        assumeFalse(BackendProbes.onClassPath("dev.dendrite.backend.cuda.CudaBackendProvider"),
                "dendrite-cuda is on this class path");
        Backends.Probe p = BackendProbes.of("cuda");
        assertEquals(Backends.Status.NOT_ON_CLASS_PATH, p.status(), p.toString());
        assertTrue(p.detail().contains("dev.dendrite:dendrite-cuda"), p.toString());
    }
}
