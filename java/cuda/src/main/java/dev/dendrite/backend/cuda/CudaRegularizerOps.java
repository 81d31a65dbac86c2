package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;

/**
 * The CUDA backend's l1/l2 regularizer gradient and penalty, and the weight constraints
 * (kernels/cuda/regularizers.cu).
 */
record CudaRegularizerOps(CudaContext ctx) implements RegularizerOps {
    /** Columns per block of the column norm kernel (DENDRITE_NORM_COLUMNS): 8 lanes of rows fill a block. */
    private static final int NORM_COLUMNS = 32;

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
        if (axis == 0) { // NORM_COLUMNS columns to a block of BLOCK (kernels/common/constraints.h)
            ctx.launchElements("normConstraint", rows == 0 ? 0 : cols, CudaKernel.NORM_CONSTRAINT_COLUMNS,
                    ctx.elementGrid(ceilDiv(cols, NORM_COLUMNS) * (long) CudaContext.BLOCK), ptr(w), rows, cols,
                    minValue, maxValue, rate);
        } else {
            ctx.launchElements("normConstraint", rows, CudaKernel.NORM_CONSTRAINT_ROWS, ctx.elementGrid(rows), ptr(w),
                    rows, cols, minValue, maxValue, rate);
        }
    }

    @Override
    public void nonNegConstraint(Slice w, int n) {
        ctx.launchElements("nonNegConstraint", n, CudaKernel.NON_NEG_CONSTRAINT, ctx.elementGrid(n), ptr(w), n);
    }
}
