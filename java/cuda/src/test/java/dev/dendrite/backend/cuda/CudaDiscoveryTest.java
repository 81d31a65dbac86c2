package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backends;

/**
 * With dendrite-cuda on the class path (and not dendrite-opencl), {@link Backends} finds the CUDA backend through
 * its {@link CudaBackendProvider}: without a GPU the reason is the missing driver, not a missing artifact.
 */
class CudaDiscoveryTest {

    private static Backends.Probe probe(String name) {
        return Backends.probe().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void theProviderIsFound() {
        Backends.Probe p = probe("cuda");
        assertNotEquals(Backends.Status.NOT_ON_CLASS_PATH, p.status(), p.toString());
        if (!p.available()) {
            assertTrue(p.detail().startsWith("CUDA is unavailable"), p.toString());
        }
    }

    @Test
    void openClIsReportedAsAMissingArtifact() {
        Backends.Probe p = probe("opencl");
        assertEquals(Backends.Status.NOT_ON_CLASS_PATH, p.status(), p.toString());
        assertTrue(p.detail().contains("dev.dendrite:dendrite-opencl"), p.toString());
    }
}
