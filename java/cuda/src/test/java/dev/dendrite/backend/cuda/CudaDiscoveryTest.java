package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.BackendProbes;
import dev.dendrite.backend.Backends;

/**
 * With dendrite-cuda on the class path (and not dendrite-opencl), {@link Backends} finds the CUDA backend through
 * its {@link CudaBackendProvider}: without a GPU the reason is the missing driver, not a missing artifact.
 */
class CudaDiscoveryTest {

    @Test
    void theProviderIsFound() {
        Backends.Probe p = BackendProbes.of("cuda");
        assertNotEquals(Backends.Status.NOT_ON_CLASS_PATH, p.status(), p.toString());
        if (!p.available()) {
            assertTrue(p.detail().startsWith("CUDA is unavailable"), p.toString());
        }
    }

    @Test
    void openClIsReportedAsAMissingArtifact() {
        // This module's class path lacks dendrite-opencl; one with every backend (the GPU bundle's) has it.
        assumeFalse(BackendProbes.onClassPath("dev.dendrite.backend.opencl.OpenClBackendProvider"),
                "dendrite-opencl is on this class path");
        Backends.Probe p = BackendProbes.of("opencl");
        assertEquals(Backends.Status.NOT_ON_CLASS_PATH, p.status(), p.toString());
        assertTrue(p.detail().contains("dev.dendrite:dendrite-opencl"), p.toString());
    }
}
