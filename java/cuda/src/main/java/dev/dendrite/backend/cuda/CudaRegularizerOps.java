package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;

/**
 * The CUDA backend's l1/l2 regularizer gradient and penalty, and the weight constraints (kernels/cuda/regularizers.cu).
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

    @Override
    public void normConstraint(Slice w, int rows, int cols, int axis, float minValue, float maxValue, float rate) {
        int vectors = axis == 0 ? cols : rows;
        ctx.launchElements("normConstraint", vectors, CudaKernel.NORM_CONSTRAINT, ctx.elementGrid(vectors), ptr(w),
                vectors, axis == 0 ? rows : cols, axis == 0 ? cols : 1, axis == 0 ? 1 : cols, minValue, maxValue,
                rate);
    }

    @Override
    public void nonNegConstraint(Slice w, int n) {
        ctx.launchElements("nonNegConstraint", n, CudaKernel.NON_NEG_CONSTRAINT, ctx.elementGrid(n), ptr(w), n);
    }
}
