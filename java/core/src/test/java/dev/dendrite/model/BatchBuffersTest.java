package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * The bookkeeping of {@link BatchBuffers} on its own: which buffer each step of an execution reads, which steps
 * gather and which prefetch, and when a prefetched batch is used. (Training with it, bit for bit against each step
 * gathering its own batch, is {@code StepCaptureTest}'s.)
 */
class BatchBuffersTest {

    private static BatchBuffers buffers(boolean enabled, CpuBackend cpu) {
        BatchBuffers b = new BatchBuffers(enabled);
        Buffer x0 = cpu.allocate(DType.F32, 4);
        Buffer y0 = cpu.allocate(DType.I32, 2);
        b.set(x0, y0, enabled ? cpu.allocate(DType.F32, 4) : null, enabled ? cpu.allocate(DType.I32, 2) : null);
        return b;
    }

    @Test
    void stepsAlternateAndEachBatchIsGatheredOnce() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            BatchBuffers b = buffers(true, cpu);
            long done = 0;
            // An epoch of 7 full batches in executions of 3, 3 and 1 (the last with nothing full after it).
            int[] counts = {3, 3, 1};
            int gathers = 0;
            int prefetches = 0;
            int expectedBuffer = 0;
            for (int e = 0; e < counts.length; e++) {
                int count = counts[e];
                boolean nextIsFull = e < counts.length - 1;
                BatchBuffers.Plan plan = b.plan(true, done, nextIsFull);
                assertEquals(e > 0, plan.firstGathered(), "execution " + e + " starts from a prefetched batch");
                for (int i = 0; i < count; i++) {
                    assertEquals(expectedBuffer, plan.buffer(i), "execution " + e + " step " + i);
                    gathers += plan.gathered(i) ? 0 : 1;
                    if (plan.prefetches(i, count)) {
                        prefetches++;
                        expectedBuffer ^= 1;
                    }
                }
                done += count;
                b.executed(plan, count, done);
            }
            assertEquals(1, gathers, "only the epoch's first step gathers its own batch");
            assertEquals(6, prefetches, "every other batch is gathered by the step before");
        }
    }

    @Test
    void aPrefetchedBatchServesOnlyTheStepItWasGatheredFor() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            BatchBuffers b = buffers(true, cpu);
            BatchBuffers.Plan first = b.plan(true, 0, true);
            b.executed(first, 1, 1);
            assertTrue(b.plan(true, 1, true).firstGathered(), "step 1 starts from the batch step 0 gathered");
            assertFalse(b.plan(true, 2, true).firstGathered(), "not a step the prefetch was not for");
            assertFalse(b.plan(false, 1, true).firstGathered(), "not a step that may not prefetch (a partial batch)");
            b.reset();
            BatchBuffers.Plan afterReset = b.plan(true, 1, true);
            assertFalse(afterReset.firstGathered(), "an epoch's start or an evaluation drops it");
            assertEquals(0, afterReset.start(), "and the next step starts in buffer 0");
        }
    }

    @Test
    void switchedOffOrNotAllowedEveryStepGathersIntoOneBuffer() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            for (boolean enabled : new boolean[] {false, true}) {
                BatchBuffers b = buffers(enabled, cpu);
                assertEquals(enabled, b.twoOfEach());
                BatchBuffers.Plan plan = b.plan(!enabled, 0, true); // enabled but not allowed, or switched off
                for (int i = 0; i < 4; i++) {
                    assertEquals(0, plan.buffer(i));
                    assertFalse(plan.gathered(i));
                    assertFalse(plan.prefetches(i, 4));
                }
            }
        }
    }

    @Test
    void plansThatUseTheBuffersDifferentlyHaveDifferentKeys() {
        Set<Integer> keys = new HashSet<>();
        for (int start = 0; start < 2; start++) {
            for (int bits = 0; bits < 8; bits++) {
                keys.add(new BatchBuffers.Plan(start, (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0).key());
            }
        }
        assertEquals(16, keys.size());
        assertNotEquals(new BatchBuffers.Plan(0, false, true, true).key(),
                new BatchBuffers.Plan(1, false, true, true).key());
    }
}
