package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.cpu.CpuParallel.PHILOX;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DropoutOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's dropout pass (forward and backward alike): the mask of {@link CpuDropout}'s Philox kernel.
 */
record CpuDropoutOps(CpuParallel par) implements DropoutOps {
    /**
     * A dropout element's cost for {@link CpuParallel#forRange}: a Philox block's share, vectorised when
     * {@link CpuDropout#vectorised()}. At 4 the vector loop is split from 16K elements, bn256's 64 x 256 batch: inside
     * its epochs on the 2-vCPU Xeon that took dropout from 80-83 to 61-67 us a call (three alternating runs,
     * 2026-12-03). Batch norm's column loops, split the same way, got slower (57-75 to 76-105 us), so they are not.
     */
    private static final int DROPOUT = CpuDropout.vectorised() ? 4 : PHILOX;

    @Override
    public void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int stream,
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
        par.forRange(n, DROPOUT, (i0, i1) -> kernel.apply(xs.array(), xs.offset(), ys.array(), ys.offset(), i0, i1,
                seed, step, stream, rate));
    }
}
