package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DropoutOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;

/**
 * The CUDA backend's dropout (kernels/cuda/dropout.cu).
 */
record CudaDropoutOps(CudaContext ctx) implements DropoutOps {
    @Override
    public void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int philoxStream,
                        Slice counters) {
        String context = "n=" + n + ", rate=" + rate;
        if (rate == 0f) {
            try {
                ctx.copyUnlessSame(in, out, n);
            } catch (CudaException e) {
                throw ctx.fail(op, context, e);
            }
            return;
        }
        // A thread per Philox block of four elements.
        ctx.launchItems(op, context, n, CudaKernel.DROPOUT, ctx.elementGrid((n + 3L) / 4), ptr(in), ptr(out), n,
                rate, (int) seed, (int) (seed >>> 32), philoxStream, ptr(counters));
    }
}
