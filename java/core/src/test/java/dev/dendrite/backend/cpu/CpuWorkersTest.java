package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/**
 * {@link CpuWorkers} and {@link CpuClaimedParts}: every part runs exactly once, the workers really take parts (also
 * when they have to be woken from parking, the path a lost wake-up would break), a first phase finishes before the
 * second starts, failures reach the caller, and closing stops the threads.
 */
class CpuWorkersTest {

    /** Long enough for a worker to be scheduled on a loaded 2-core CI machine; a lost wake-up never arrives. */
    private static final long PATIENCE_NANOS = 20_000_000_000L;

    @Test
    void everyPartRunsExactlyOnce() {
        try (CpuWorkers workers = new CpuWorkers(3)) {
            assertEquals(3, workers.threads());
            for (int call = 0; call < 500; call++) {
                int parts = 1 + call % 17;
                AtomicIntegerArray runs = new AtomicIntegerArray(parts);
                CpuClaimedParts.run(workers, parts, runs::incrementAndGet);
                for (int q = 0; q < parts; q++) {
                    assertEquals(1, runs.get(q), "call " + call + ", part " + q + " of " + parts);
                }
            }
        }
    }

    /**
     * Part 0 waits until part 1 has started on another thread. If no worker ever took part 1 the caller would
     * wait forever, so each call proves that a worker helped; with no polling every call must unpark it.
     */
    @Test
    void parkedWorkersAreWokenForEveryOp() {
        for (long spin : new long[] {0L, CpuWorkers.SPIN_NANOS}) {
            try (CpuWorkers workers = new CpuWorkers(2, spin)) {
                for (int call = 0; call < 300; call++) {
                    AtomicInteger started = new AtomicInteger();
                    Thread caller = Thread.currentThread();
                    int c = call;
                    CpuClaimedParts.run(workers, 2, q -> {
                        started.incrementAndGet();
                        if (Thread.currentThread() == caller) {
                            long t0 = System.nanoTime();
                            while (started.get() < 2) {
                                if (System.nanoTime() - t0 > PATIENCE_NANOS) {
                                    throw new AssertionError("no worker took part of call " + c + " (spin " + spin
                                            + " ns)");
                                }
                                Thread.onSpinWait();
                            }
                        }
                    });
                    if (call % 50 == 0) {
                        sleepMillis(3);  // past the polling time: the next call finds the worker parked
                    }
                }
            }
        }
    }

    @Test
    void theFirstPhaseFinishesBeforeTheSecondStarts() {
        try (CpuWorkers workers = new CpuWorkers(2, 0L)) {
            for (int call = 0; call < 300; call++) {
                int firstParts = 1 + call % 5;
                AtomicInteger firstDone = new AtomicInteger();
                AtomicInteger violations = new AtomicInteger();
                AtomicInteger secondRuns = new AtomicInteger();
                CpuClaimedParts.run(workers, firstParts, q -> {
                    busy(20_000);
                    firstDone.incrementAndGet();
                }, 6, q -> {
                    if (firstDone.get() != firstParts) {
                        violations.incrementAndGet();
                    }
                    secondRuns.incrementAndGet();
                });
                assertEquals(0, violations.get(), "call " + call);
                assertEquals(6, secondRuns.get());
            }
        }
    }

    @Test
    void aFailingPartReachesTheCallerAfterTheOthersFinish() {
        try (CpuWorkers workers = new CpuWorkers(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            IllegalStateException boom = new IllegalStateException("part 3 failed");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> CpuClaimedParts.run(workers, 8, q -> {
                        runs.incrementAndGet(q);
                        if (q == 3) {
                            throw boom;
                        }
                    }));
            assertSame(boom, e);
            for (int q = 0; q < 8; q++) {
                assertEquals(1, runs.get(q), "part " + q);
            }
            // After a first-phase failure the second phase does not run.
            AtomicInteger second = new AtomicInteger();
            assertThrows(ArithmeticException.class, () -> CpuClaimedParts.run(workers, 2, q -> {
                throw new ArithmeticException("first phase");
            }, 4, q -> second.incrementAndGet()));
            assertEquals(0, second.get());
            // The workers survive a failure.
            AtomicInteger after = new AtomicInteger();
            CpuClaimedParts.run(workers, 5, q -> after.incrementAndGet());
            assertEquals(5, after.get());
        }
    }

    @Test
    void closingStopsTheThreads() throws InterruptedException {
        CpuWorkers workers = new CpuWorkers(3);
        CpuClaimedParts.run(workers, 4, q -> { });
        assertTrue(workers.anyAlive());
        workers.close();
        workers.close();  // idempotent
        long t0 = System.nanoTime();
        while (workers.anyAlive() && System.nanoTime() - t0 < PATIENCE_NANOS) {
            sleepMillis(1);
        }
        assertFalse(workers.anyAlive(), "a worker outlived close()");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CpuClaimedParts.run(workers, 4, q -> { }));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        // One thread runs everything on the caller, with no workers at all.
        try (CpuWorkers single = new CpuWorkers(1)) {
            AtomicInteger runs = new AtomicInteger();
            CpuClaimedParts.run(single, 3, q -> runs.incrementAndGet());
            assertEquals(3, runs.get());
        }
    }

    @Test
    void rejectsBadSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuWorkers(0));
        assertTrue(e.getMessage().contains("threads = 0"), e.getMessage());
        assertEquals(2_000_000L, CpuWorkers.spinNanos(null));
        assertEquals(0L, CpuWorkers.spinNanos("0"));
        assertEquals(150_000L, CpuWorkers.spinNanos(" 150 "));
        e = assertThrows(IllegalArgumentException.class, () -> CpuWorkers.spinNanos("-1"));
        assertTrue(e.getMessage().contains("dendrite.cpu.spinMicros = -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuWorkers.spinNanos("2ms"));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
        assertFalse(CpuWorkers.spinNanos("10000000") < 0);
    }

    private static void busy(long nanos) {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < nanos) {
            Thread.onSpinWait();
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
