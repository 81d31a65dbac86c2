package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.cpu.CpuParallel.PHILOX;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import java.util.HashMap;
import java.util.Map;

import dev.dendrite.backend.DropoutOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's dropout pass (forward and backward alike): the mask of {@link CpuDropout}'s Philox kernel.
 *
 * <p>The mask is a function of the seed, the step, the stream and the rate, so the backward pass could draw it again,
 * as the GPU backends do; on the CPU drawing it is the expensive part (ten rounds of 32 x 32-bit products per four
 * elements). So each pass keeps the keep tests it drew, one set per stream, and a later pass with the same seed,
 * step, stream and rate, no longer, applies them instead of drawing them: the backward pass of the same step, as
 * PyTorch and JAX keep their masks for. The result is bit for bit the same, since it is the same mask. To bound the
 * memory this takes, a mask of more than {@link #KEPT_MAX} elements is drawn again each time, and all kept masks are
 * dropped when they would pass {@link #KEPT_TOTAL_MAX} elements or {@link #STREAMS_MAX} streams, or when the
 * backend closes.
 */
final class CpuDropoutOps implements DropoutOps {
    /**
     * A dropout element's cost for {@link CpuParallel#forRange}: a Philox block's share, vectorised when
     * {@link CpuDropout#vectorised()}. At 4 the vector loop is split from 16K elements, bn256's 64 x 256 batch: inside
     * its epochs on the 2-vCPU Xeon that took dropout from 80-83 to 61-67 us a call (three alternating runs,
     * 2026-12-03). Batch norm's column loops, split the same way, got slower (57-75 to 76-105 us), so they are not.
     */
    private static final int DROPOUT = CpuDropout.vectorised() ? 4 : PHILOX;

    /** The largest mask kept for a later pass: 4 MiB of keep tests per stream. */
    static final int KEPT_MAX = 1 << 20;

    /**
     * The most keep tests kept over all streams (16 MiB): a new stream's mask that would pass it first drops the
     * kept masks, which are then drawn again as needed.
     */
    static final long KEPT_TOTAL_MAX = 4L << 20;

    /** The most streams kept at once; a new stream past it first drops the kept masks. */
    static final int STREAMS_MAX = 64;

    /** The keep tests one stream last drew ({@link CpuDropout.Kernel#apply}'s marks) and what they were drawn for. */
    private static final class KeptMask {
        int[] marks = new int[0];
        boolean valid;
        long seed;
        int step;
        float rate;
        int n;

        boolean drawnFor(long seed, int step, float rate, int n) {
            return valid && this.seed == seed && this.step == step && Float.compare(this.rate, rate) == 0
                    && this.n >= n; // element i's test depends on i, not on the length
        }
    }

    private final CpuParallel par;
    /** By stream. Ops take this object's lock, so that a second caller (not the intended use) cannot mix masks. */
    private final Map<Integer, KeptMask> kept = new HashMap<>();
    /** The lengths of the kept masks' arrays, summed. */
    private long keptTotal;

    CpuDropoutOps(CpuParallel par) {
        this.par = par;
    }

    @Override
    public synchronized void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int stream,
                                     Slice counters) {
        CpuFloats xs = CpuFloats.of(in);
        CpuFloats ys = CpuFloats.of(out);
        if (rate == 0f) {
            if (!xs.sameStart(ys)) {
                System.arraycopy(xs.array(), xs.offset(), ys.array(), ys.offset(), n);
            }
            return;
        }
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        CpuDropout.Kernel kernel = CpuDropout.kernel();
        KeptMask mask = n <= KEPT_MAX ? kept(stream) : null;
        if (mask != null && mask.drawnFor(seed, step, rate, n)) {
            int[] marks = mask.marks;
            par.forStreaming(n, (i0, i1) -> kernel.reapply(xs.array(), xs.offset(), ys.array(), ys.offset(), i0, i1,
                    marks, rate));
            return;
        }
        if (mask != null) {
            mask.valid = false; // until every part has stored its tests
            if (mask.marks.length < n) {
                if (keptTotal - mask.marks.length + n > KEPT_TOTAL_MAX) {
                    forget();
                    mask = kept(stream);
                }
                keptTotal += n - mask.marks.length;
                mask.marks = new int[n];
            }
        }
        int[] into = mask != null ? mask.marks : null;
        par.forRange(n, DROPOUT, (i0, i1) -> kernel.apply(xs.array(), xs.offset(), ys.array(), ys.offset(), i0, i1,
                seed, step, stream, rate, into));
        if (mask != null) {
            mask.seed = seed;
            mask.step = step;
            mask.rate = rate;
            mask.n = n;
            mask.valid = true;
        }
    }

    private KeptMask kept(int stream) {
        if (kept.size() >= STREAMS_MAX && !kept.containsKey(stream)) {
            forget();
        }
        return kept.computeIfAbsent(stream, s -> new KeptMask());
    }

    /** Drops every kept mask (the backend's close, or to stay within {@link #KEPT_TOTAL_MAX}). */
    synchronized void forget() {
        kept.clear();
        keptTotal = 0;
    }
}
