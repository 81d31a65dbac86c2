package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static dev.dendrite.backend.cuda.CudaContext.sameElements;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DropoutOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's dropout (kernels/cuda/dropout.cu).
 */
record CudaDropoutOps(CudaContext ctx) implements DropoutOps {
    @Override
    public void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int philoxStream,
                        Slice counters) {
        CUdeviceptr pin = ptr(in);
        CUdeviceptr pout = ptr(out);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            if (rate == 0f) {
                if (!sameElements(in, out)) {
                    cuMemcpyDtoDAsync(pout, pin, (long) n * 4, ctx.stream);
                    ctx.afterOp();
                }
                return;
            }
            // A thread per Philox block of four elements.
            ctx.launch(CudaKernel.DROPOUT, ctx.elementGrid((n + 3L) / 4), BLOCK, 1, 0, pin, pout, n, rate, (int) seed,
                    (int) (seed >>> 32), philoxStream, pc);
        } catch (CudaException e) {
            throw ctx.fail(op, "n=" + n + ", rate=" + rate, e);
        }
    }
}
