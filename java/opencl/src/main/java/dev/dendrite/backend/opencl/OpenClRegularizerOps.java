package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.GROUP;
import static dev.dendrite.backend.opencl.OpenClContext.ceilDiv;
import static dev.dendrite.backend.opencl.OpenClContext.powerOfTwoGroup;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's l1/l2 regularizer gradient and penalty, and the weight constraints
 * (kernels/opencl/regularizers.cl).
 */
record OpenClRegularizerOps(OpenClContext ctx, OpenClReductionOps reductions) implements RegularizerOps {
    /** Upper bound on the work-groups of the regularizer penalty's first pass. */
    private static final int PENALTY_GROUPS = 64;
    /** The column norm kernel's columns per work-group (DENDRITE_NORM_COLUMNS). */
    private static final int NORM_COLUMNS = 32;
    /** The column norm kernel's work-group: NORM_COLUMNS columns by 8 lanes of rows (its reqd_work_group_size). */
    private static final int NORM_GROUP = 256;

    @Override
    public void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        ctx.runElements("regularizerGradient", n, false, "regularizers.cl", "regularizer_gradient", w, grad, n, l1,
                l2);
    }

    @Override
    public void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("regularizers.cl", "abs_square_partials");
            int local = powerOfTwoGroup(k, GROUP);
            int groups = Math.min(PENALTY_GROUPS, ceilDiv(n, local));
            cl_mem partial = ctx.scratch(8L * groups);
            ctx.withArgs(k, w, n).mem(partial, 0).local(4L * local).local(4L * local);
            k.run(ctx.queue, (long) groups * local, local);
            reductions.accumulateStats(partial, 0, groups, groups, (float) ((double) scale * l1),
                    (float) ((double) scale * l2),
                    0f, ctx.mem(stats), stats.offset());
        } catch (CLException e) {
            throw ctx.clFailure("regularizerPenalty", "n=" + n, e);
        }
    }

    @Override
    public void normConstraint(Slice w, int rows, int cols, int axis, float minValue, float maxValue, float rate) {
        if (axis == 1) {
            ctx.runElements("normConstraint", rows, false, "regularizers.cl", "norm_constraint_rows", w, rows, cols,
                    minValue, maxValue, rate);
            return;
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        // NORM_COLUMNS columns to a work-group of NORM_GROUP (kernels/common/constraints.h).
        try {
            OpenClKernel k = ctx.programs.kernel("regularizers.cl", "norm_constraint_columns");
            ctx.withArgs(k, w, rows, cols, minValue, maxValue, rate);
            k.run(ctx.queue, (long) ceilDiv(cols, NORM_COLUMNS) * NORM_GROUP, NORM_GROUP);
        } catch (CLException e) {
            throw ctx.clFailure("normConstraint", rows + "x" + cols + " axis 0", e);
        }
    }

    @Override
    public void nonNegConstraint(Slice w, int n) {
        ctx.runElements("nonNegConstraint", n, false, "regularizers.cl", "non_neg_constraint", w, n);
    }
}
