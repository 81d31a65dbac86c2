package dev.dendrite.backend.cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that help a calling thread run one CPU op: {@code threads - 1} daemon workers, which the caller joins
 * for the op's duration. A backend's ops ({@link CpuBackend}) and {@link CpuGemm} split their work through these.
 *
 * <p>Why not a {@link java.util.concurrent.ForkJoinPool}: its idle workers park at once, and waking a parked thread
 * on a virtual machine can take far longer than the op. Measured on a 2-vCPU KVM guest (Intel Xeon, 2026-12-03):
 * with 300 us between calls, a 1.7 ms product's pool task had not started when the caller had finished all of its
 * parts alone, in 10 of 12 calls; a training step issues an op every few hundred microseconds. A worker here keeps
 * polling for the next op for {@link #SPIN_NANOS} after finishing one (as OpenMP runtimes do by default), and only
 * then parks; it started on its part 4-6 us after the call. While polling it yields its core to any other runnable
 * thread, so a worker waiting on an idle core costs no one else time.
 *
 * <p>One caller at a time is the intended use, like a backend; two concurrent callers still get correct results,
 * because each caller finishes whatever part of its own op no worker has claimed ({@link CpuClaimedParts}).
 *
 * <p>Closing stops the workers. A team that is never closed keeps one parked thread per worker until its owner is
 * garbage collected; {@link CpuBackend} closes its team then too.
 */
public final class CpuWorkers implements AutoCloseable {
    /**
     * How long an idle worker polls for the next op before parking, from the system property
     * {@code dendrite.cpu.spinMicros} (default 2000 us). 0 parks at once, as a fork-join pool would.
     */
    static final long SPIN_NANOS = spinNanos(System.getProperty("dendrite.cpu.spinMicros"));

    /** A job: the work one op hands its helpers. Never throws (failures are kept for the caller). */
    interface Job {
        void help();
    }

    /** The current job and its sequence number, published together so a worker never runs one job twice. */
    private static final class Posted {
        final Job job;
        final long seq;

        Posted(Job job, long seq) {
            this.job = job;
            this.seq = seq;
        }
    }

    private final Thread[] workers;
    /** 1 while worker {@code i} is parked or about to park: the caller then unparks it. */
    private final AtomicIntegerArray parked;
    private final AtomicLong seq = new AtomicLong();
    private final long spinNanos;
    private volatile Posted posted;
    private volatile boolean closed;

    /**
     * Starts {@code threads - 1} worker threads; the caller of each op is the last thread.
     *
     * @param threads the threads an op may use, the calling one included; 1 starts none
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public CpuWorkers(int threads) {
        this(threads, SPIN_NANOS);
    }

    /** With an explicit polling time, for tests: 0 makes every op wake parked workers. */
    CpuWorkers(int threads, long spinNanos) {
        this.spinNanos = spinNanos;
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + "; expected at least 1");
        }
        workers = new Thread[threads - 1];
        parked = new AtomicIntegerArray(Math.max(1, threads - 1));
        for (int i = 0; i < workers.length; i++) {
            int id = i;
            Thread t = new Thread(() -> work(id), "dendrite-cpu-" + i);
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** The threads an op may use, the calling one included. */
    public int threads() {
        return workers.length + 1;
    }

    /** Hands {@code job} to every worker; each calls {@link Job#help} once. Returns at once. */
    void post(Job job) {
        if (closed) {
            throw new IllegalStateException("these CPU workers are closed");
        }
        posted = new Posted(job, seq.incrementAndGet());
        // The volatile write above and the read of parked below pair with the worker's write of parked and its
        // re-read of posted before parking: either it sees this job or this thread sees it parking.
        for (int i = 0; i < workers.length; i++) {
            if (parked.get(i) != 0) {
                LockSupport.unpark(workers[i]);
            }
        }
    }

    private void work(int id) {
        long seen = 0;
        while (true) {
            Posted p = await(id, seen);
            if (p == null) {
                return;
            }
            seen = p.seq;
            try {
                p.job.help();
            } catch (Throwable e) {
                // Jobs keep their own failures; anything else must not kill the worker.
            }
        }
    }

    /** Polls, then parks, until a job newer than {@code seen} is posted; null once closed. */
    private Posted await(int id, long seen) {
        long start = System.nanoTime();
        for (int spins = 1; ; spins++) {
            Posted p = posted;
            if (p != null && p.seq != seen) {
                return p;
            }
            if (closed) {
                return null;
            }
            if ((spins & 63) != 0) {
                Thread.onSpinWait();
            } else if (System.nanoTime() - start < spinNanos) {
                Thread.yield();
            } else {
                parked.set(id, 1);
                p = posted;
                if ((p == null || p.seq == seen) && !closed) {
                    LockSupport.park(this);
                }
                parked.set(id, 0);
                start = System.nanoTime();
            }
        }
    }

    /** Stops the workers once they finish the job in hand. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }

    /** Whether any worker thread is still running, for tests of {@link #close}. */
    boolean anyAlive() {
        for (Thread t : workers) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    static long spinNanos(String property) {
        if (property == null) {
            return 2_000_000L;
        }
        long micros;
        try {
            micros = Long.parseLong(property.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("dendrite.cpu.spinMicros = " + property
                    + "; expected a whole number of microseconds");
        }
        if (micros < 0 || micros > 10_000_000L) {
            throw new IllegalArgumentException("dendrite.cpu.spinMicros = " + property
                    + "; expected 0 to 10000000 microseconds");
        }
        return micros * 1000L;
    }
}
