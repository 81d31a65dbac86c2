package dev.dendrite.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs parts {@code 0 .. parts - 1} of one op on the calling thread and on the {@link CpuWorkers}, each of which
 * claims the next unclaimed part until none is left; the call returns once every part is finished.
 *
 * <p>Claiming, rather than handing each worker a fixed share, lets the caller start at once and take over whatever a
 * late worker has not claimed; a worker that arrives after everything is claimed just returns. Every part must
 * compute the same thing whichever thread runs it, so results do not depend on who claims what. The GEMM
 * ({@link CpuGemm}) and the element-wise loops ({@link CpuParallel}) both split their work this way.
 *
 * <p>An op may have a first phase ({@code firstParts}), all of whose parts finish before any part of the second
 * starts: the GEMM packs its shared copy of A in the first. The phases are claimed in order, so a thread that
 * reaches the second phase only waits for first-phase parts other threads are already running.
 */
final class CpuClaimedParts {
    /** One part's work. */
    interface Part {
        void run(int part);
    }

    private final int firstParts;
    private final Part first;
    private final int parts;
    private final Part body;
    /** The next part to claim: first-phase parts are {@code 0 .. firstParts - 1}, then the others. */
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger firstFinished = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Set when a first-phase part failed: the second phase's input is then incomplete. */
    private volatile boolean firstFailed;

    private CpuClaimedParts(int firstParts, Part first, int parts, Part body) {
        this.firstParts = firstParts;
        this.first = first;
        this.parts = parts;
        this.body = body;
    }

    /**
     * Runs every part and returns when all are finished; rethrows the first part's failure (the other parts still
     * run, so that no thread writes an output after the call returns).
     *
     * @param workers the helpers; {@code null} runs every part on the calling thread
     */
    static void run(CpuWorkers workers, int parts, Part body) {
        run(workers, 0, null, parts, body);
    }

    /**
     * Runs parts {@code 0 .. firstParts - 1} of {@code first}, then, once all of them have finished, every part of
     * {@code body}; returns when all are finished. After a failure in the first phase the second does not run.
     */
    static void run(CpuWorkers workers, int firstParts, Part first, int parts, Part body) {
        if (workers == null || workers.threads() == 1 || firstParts + parts <= 1) {
            for (int q = 0; q < firstParts; q++) {
                first.run(q);
            }
            for (int q = 0; q < parts; q++) {
                body.run(q);
            }
            return;
        }
        CpuClaimedParts work = new CpuClaimedParts(firstParts, first, parts, body);
        workers.post(work::claimAndRun);
        work.claimAndRun();
        work.await(work.finished, parts);
        work.rethrow();
    }

    /** Claims and runs parts until none is left. Never throws: failures are kept for {@link #rethrow}. */
    private void claimAndRun() {
        for (int q = next.getAndIncrement(); q < firstParts + parts; q = next.getAndIncrement()) {
            boolean firstPhase = q < firstParts;
            if (!firstPhase) {
                await(firstFinished, firstParts);
            }
            try {
                if (firstPhase) {
                    first.run(q);
                } else if (!firstFailed) {
                    body.run(q - firstParts);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                if (firstPhase) {
                    firstFailed = true;
                }
            } finally {
                // A volatile write: publishes this part's output to the threads that wait for it.
                (firstPhase ? firstFinished : finished).incrementAndGet();
            }
        }
    }

    /**
     * Waits until {@code count} reaches {@code target}. Only parts another thread is already running are waited
     * for, so the wait is short: spent spinning, then yielding in case that thread lacks a core.
     */
    private void await(AtomicInteger count, int target) {
        for (int spins = 0; count.get() < target; spins++) {
            if (spins < 2_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void rethrow() {
        Throwable e = failure.get();
        if (e instanceof RuntimeException) {
            throw (RuntimeException) e;
        } else if (e instanceof Error) {
            throw (Error) e;
        } else if (e != null) {
            throw new IllegalStateException(e);
        }
    }
}
