package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;
import java.util.stream.Collectors;

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
        if (p.status() == Backends.Status.NOT_STARTED) {
            // PoCL alone (CI's case): reported unstarted, and still created when named.
            assertEquals(List.of(OpenClDevice.POCL_PLATFORM), OpenClDevice.platformNames().stream().distinct()
                    .collect(Collectors.toList()), p.toString());
            assertTrue(p.detail().contains("PoCL"), p.toString());
        } else if (!p.available()) {
            // CI installs PoCL, so a device must be found there; elsewhere, no device is a reason, not a failure.
            assertTrue(!"true".equalsIgnoreCase(System.getenv("CI")), "CI=true but " + p);
            assertEquals(Backends.Status.NO_DEVICE, p.status(), p.toString());
            org.junit.jupiter.api.Assumptions.abort("no OpenCL device: " + p.detail());
        }
        try (Backend b = Backends.create("opencl")) {
            assertTrue(b instanceof OpenClBackend, b.getClass().getName());
        }
    }

    /**
     * auto never starts PoCL's devices (their LLVM replaces the JVM's signal handlers; see
     * {@link OpenClBackendProvider#passOverUnstarted()}), and a chosen device is still tried.
     */
    @Test
    void autoPassesOverPoclUnstartedUnlessADeviceIsChosen() {
        List<String> platforms = OpenClDevice.platformNames();
        // A device chosen outside the test (DENDRITE_OPENCL_DEVICE, as bench/gpu/run-on-gpu.sh sets it) is tried too.
        String chosen = OpenClDevice.configuredSelector();
        boolean passedOver = chosen == null && !platforms.isEmpty()
                && platforms.stream().allMatch(OpenClDevice.POCL_PLATFORM::equals);
        OpenClBackendProvider provider = new OpenClBackendProvider();
        assertEquals(passedOver, provider.passOverUnstarted() != null, platforms + ", chosen device " + chosen + ": "
                + provider.passOverUnstarted());
        String before = System.getProperty(OpenClDevice.PROPERTY);
        System.setProperty(OpenClDevice.PROPERTY, "0");
        try {
            assertNull(provider.passOverUnstarted(), "a chosen device is tried");
        } finally {
            if (before == null) {
                System.clearProperty(OpenClDevice.PROPERTY);
            } else {
                System.setProperty(OpenClDevice.PROPERTY, before);
            }
        }
        if (passedOver) {
            try (Backend b = Backends.auto()) {
                assertEquals("cpu", b.name(), "auto on a machine with PoCL alone");
            }
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
