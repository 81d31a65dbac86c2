package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's l1/l2 regularizer gradient and penalty (kernels/cuda/regularizers.cu).
 */
record CudaRegularizerOps(CudaContext ctx) implements RegularizerOps {
    @Override
    public void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        CUdeviceptr pw = ptr(w);
        CUdeviceptr pg = ptr(grad);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.REGULARIZER_GRADIENT, ctx.elementGrid(n), BLOCK, 1, 0, pw, pg, n, l1, l2);
        } catch (CudaException e) {
            throw ctx.fail("regularizerGradient", "n=" + n, e);
        }
    }

    @Override
    public void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        CUdeviceptr pw = ptr(w);
        CUdeviceptr ps = ptr(stats);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.REGULARIZER_PENALTY, ctx.statGrid(n), BLOCK, 1, 0, pw, n, scale * l1, scale * l2, ps,
                    ctx.control);
        } catch (CudaException e) {
            throw ctx.fail("regularizerPenalty", "n=" + n, e);
        }
    }
}
