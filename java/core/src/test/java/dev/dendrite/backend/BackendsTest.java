package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Backend discovery: names, probes, and what 'auto' picks on a machine without a GPU. */
class BackendsTest {

    @Test
    void unknownNameIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("tpu"));
        assertTrue(e.getMessage().contains("'tpu'") && e.getMessage().contains("opencl"), e.getMessage());
    }

    @Test
    void probeReportsEveryBackendWithAReason() {
        List<Backends.Probe> probes = Backends.probe();
        assertEquals(Backends.NAMES.size(), probes.size());
        for (Backends.Probe p : probes) {
            assertTrue(p.detail() != null && !p.detail().isBlank(), p.toString());
        }
        assertTrue(probes.get(probes.size() - 1).available(), "the cpu backend is always available");
    }

    @Test
    void autoIsANameCreateAccepts() {
        try (Backend a = Backends.create("auto"); Backend b = Backends.auto()) {
            assertEquals(b.name(), a.name());
        }
    }

    @Test
    void autoNeverPicksAnOpenClCpuDeviceOverTheCpuBackend() {
        try (Backend b = Backends.auto()) {
            assertTrue(b.name().equals("cpu") || !b.runsOnHostCpu(), b.description());
        }
    }
}
