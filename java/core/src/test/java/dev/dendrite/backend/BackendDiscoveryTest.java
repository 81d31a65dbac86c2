package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The core artifact alone (this module's test class path has neither dendrite-opencl nor dendrite-cuda): asking
 * for a GPU backend names the artifact to add, {@link Backends#probe()} says "not on the class path" rather than
 * "no device", and {@link Backends#auto()} still gives the cpu backend.
 */
class BackendDiscoveryTest {

    @Test
    void aBackendWhoseArtifactIsMissingNamesTheArtifact() {
        for (String name : new String[] {"opencl", "cuda"}) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> Backends.create(name));
            assertTrue(e.getMessage().startsWith("the " + name + " backend is not on the class path: add the artifact"
                    + " dev.dendrite:dendrite-" + name), e.getMessage());
        }
    }

    @Test
    void probeTellsAMissingArtifactFromAMissingDevice() {
        for (Backends.Probe p : Backends.probe()) {
            Backends.Status expected = p.name().equals("cpu") ? Backends.Status.AVAILABLE
                    : Backends.Status.NOT_ON_CLASS_PATH;
            assertEquals(expected, p.status(), p.toString());
            assertEquals(expected == Backends.Status.AVAILABLE, p.available(), p.toString());
        }
    }

    /** What a program that depends on dendrite alone gets (docs/consumer/check.sh checks the published pom). */
    @Test
    void theCoreArtifactBringsNoGpuBinding() {
        for (String binding : new String[] {"org.jocl.CL", "jcuda.driver.JCudaDriver", "jcuda.jcublas.JCublas2"}) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(binding), binding + " is on the class path");
        }
    }

    @Test
    void autoFallsBackToTheCpuBackend() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Backends.forcedName() == null,
                "a backend is forced by dendrite.backend/DENDRITE_BACKEND");
        try (Backend b = Backends.auto()) {
            assertEquals("cpu", b.name());
        }
    }
}
