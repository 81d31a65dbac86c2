package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where {@link CpuAlignedPanel} puts the packed panel: always a candidate offset with the whole panel inside the
 * array, measured again at the scheduled calls and after a garbage collection. That the offset changes no result is
 * {@link CpuGemmTest}'s check that the Vector API kernel gives the plain kernel's bits, whatever offset its probe
 * picked.
 */
class CpuAlignedPanelTest {

    @BeforeEach
    void needsTheVectorKernel() {
        Assumptions.assumeTrue(CpuGemm.vectorKernelAvailable(),
                "no Vector API kernel in this JVM (needs --add-modules jdk.incubator.vector and 8-lane vectors)");
    }

    @Test
    void everyStartIsACandidateWithThePanelInside() {
        int length = 1000;
        CpuAlignedPanel panel = new CpuAlignedPanel(length);
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (int call = 0; call < 300; call++) {
            int start = panel.start();
            assertTrue(start >= 0 && start <= lanes - 2 && start % 2 == 0, "offset " + start);
            assertTrue(start + length <= panel.data.length, "panel inside the array at offset " + start);
        }
    }

    @Test
    void measuresAtPowersOfTwoThenOnlyAfterACollection() {
        CpuAlignedPanel panel = new CpuAlignedPanel(64);
        for (int call = 1; call <= 20; call++) {
            panel.start();
        }
        // Calls 1, 2, 4, 8 and 16, unless a collection ran meanwhile.
        assertTrue(panel.probes() >= 5, "probes " + panel.probes());
        for (int call = 21; call <= CpuAlignedPanel.SETTLED_CALLS; call++) {
            panel.start();
        }
        int settled = panel.probes();
        collectGarbage();
        panel.start();
        assertEquals(settled + 1, panel.probes(), "measured again after a collection");
    }

    @Test
    void theProbeReturnsACandidate() {
        float[] data = new float[8192];
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        int offset = CpuAlignedPanel.fastestOffset(data, 2);
        assertTrue(offset >= 0 && offset < lanes && offset % 2 == 0, "offset " + offset);
    }

    /** Runs collections until a weakly reachable object is gone (a request alone may be ignored). */
    private static void collectGarbage() {
        WeakReference<Object> ref = new WeakReference<>(new Object());
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
        }
        Assumptions.assumeTrue(ref.get() == null,
                "System.gc() collected nothing in 50 tries (-XX:+DisableExplicitGC?)");
    }
}
