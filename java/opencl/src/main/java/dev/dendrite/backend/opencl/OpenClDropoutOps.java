package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DropoutOps;
import dev.dendrite.backend.Slice;

/**
 * The OpenCL backend's dropout (kernels/opencl/dropout.cl).
 */
record OpenClDropoutOps(OpenClContext ctx) implements DropoutOps {
    @Override
    public void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int stream,
                        Slice counters) {
        // A work-item per Philox block of four elements.
        ctx.runItems(op, "n=" + n + ", rate=" + rate, (n + 3L) / 4, "dropout.cl", "dropout", in, out, n, rate,
                (int) seed, (int) (seed >>> 32), stream, step(counters));
    }
}
