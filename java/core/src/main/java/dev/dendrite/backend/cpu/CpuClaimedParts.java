package dev.dendrite.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs parts {@code 0 .. parts - 1} of one op on the calling thread and on up to {@code threads - 1} pool tasks,
 * each of which claims the next unclaimed part until none is left; the call returns once every part is finished.
 *
 * <p>Claiming, rather than handing the pool a task tree and waiting for it ({@code pool.invoke}), matters because
 * waking a parked pool worker takes 70-100 us on the 2-vCPU VMs this was tuned on, and under {@code invoke} the
 * calling thread waits for that before any part starts: 0.4-0.5 ms a call measured for the affine augmentation
 * inside an epoch, a few times a short element-wise op's own time. Here the caller starts at once and takes over
 * whatever a late worker has not claimed, and a worker that starts after everything is claimed just returns.
 * Every part must compute the same thing whichever thread runs it, so results do not depend on who claims what.
 * The GEMM ({@link CpuGemm}) and the element-wise loops ({@link CpuParallel}) both split their work this way.
 */
final class CpuClaimedParts {
    /** One part's work. */
    interface Part {
        void run(int part);
    }

    private final Part body;
    private final int parts;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private CpuClaimedParts(Part body, int parts) {
        this.body = body;
        this.parts = parts;
    }

    /**
     * Runs every part and returns when all are finished; rethrows the first part's failure (the other parts still
     * run, so that no thread writes an output after the call returns).
     */
    static void run(ForkJoinPool pool, int threads, int parts, Part body) {
        if (parts <= 1 || threads <= 1) {
            for (int q = 0; q < parts; q++) {
                body.run(q);
            }
            return;
        }
        CpuClaimedParts work = new CpuClaimedParts(body, parts);
        boolean inPool = ForkJoinTask.getPool() == pool;
        for (int t = 1; t < Math.min(threads, parts); t++) {
            ForkJoinTask<?> task = ForkJoinTask.adapt(work::claimAndRun);
            if (inPool) {
                task.fork();
            } else {
                pool.execute(task);
            }
        }
        work.claimAndRun();
        work.awaitAll();
    }

    /** Claims and runs parts until none is left. Never throws: failures are kept for {@link #awaitAll}. */
    private void claimAndRun() {
        for (int q = next.getAndIncrement(); q < parts; q = next.getAndIncrement()) {
            try {
                body.run(q);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                finished.incrementAndGet();  // a volatile write: publishes this part's output to the waiting caller
            }
        }
    }

    /**
     * Waits until every part is finished, then rethrows the first failure. By then the caller has claimed all
     * parts, so it only waits for parts another thread is already running: a short wait, spent spinning, then
     * yielding in case that thread lacks a core.
     */
    private void awaitAll() {
        for (int spins = 0; finished.get() < parts; spins++) {
            if (spins < 2_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
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
