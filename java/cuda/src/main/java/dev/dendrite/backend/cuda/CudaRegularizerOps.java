package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;

/**
 * The CUDA backend's l1/l2 regularizer gradient and penalty (kernels/cuda/regularizers.cu).
 */
record CudaRegularizerOps(CudaContext ctx) implements RegularizerOps {
    @Override
    public void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        ctx.launchElements("regularizerGradient", n, CudaKernel.REGULARIZER_GRADIENT, ctx.elementGrid(n), ptr(w),
                ptr(grad), n, l1, l2);
    }

    @Override
    public void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        ctx.launchElements("regularizerPenalty", n, CudaKernel.REGULARIZER_PENALTY, ctx.statGrid(n), ptr(w), n,
                scale * l1, scale * l2, ptr(stats), ctx.control);
    }
}
