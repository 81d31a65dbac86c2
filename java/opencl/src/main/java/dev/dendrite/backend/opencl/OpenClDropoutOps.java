package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.opencl.OpenClContext.offset;

import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DropoutOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's dropout (kernels/opencl/dropout.cl).
 */
record OpenClDropoutOps(OpenClContext ctx) implements DropoutOps {
    @Override
    public void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int stream,
                        Slice counters) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("dropout.cl", "dropout");
            k.args().mem(ctx.mem(in), in.offset()).mem(ctx.mem(out), out.offset()).i(n).f(rate).i((int) seed)
                    .i((int) (seed >>> 32)).i(stream).mem(ctx.mem(counters), counters.offset() + COUNTER_STEP);
            ctx.run1(k, (n + 3L) / 4); // a work-item per Philox block of four elements
        } catch (CLException e) {
            throw ctx.clFailure(op, "n=" + n + ", rate=" + rate, e);
        }
    }
}
