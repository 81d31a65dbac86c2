package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.step;

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
            ctx.withArgs(k, in, out, n, rate, (int) seed, (int) (seed >>> 32), stream, step(counters));
            ctx.run1(k, (n + 3L) / 4); // a work-item per Philox block of four elements
        } catch (CLException e) {
            throw ctx.clFailure(op, "n=" + n + ", rate=" + rate, e);
        }
    }
}
