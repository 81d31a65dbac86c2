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
    /** A dropout element: a Philox block, vectorised when {@link CpuDropout#vectorised()}. */
    private static final int DROPOUT = CpuDropout.vectorised() ? 2 : PHILOX;

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
