package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.GROUP;
import static dev.dendrite.backend.opencl.OpenClContext.ROWS_PER_CHUNK;
import static dev.dendrite.backend.opencl.OpenClContext.ceilDiv;
import static dev.dendrite.backend.opencl.OpenClContext.offset;
import static dev.dendrite.backend.opencl.OpenClContext.powerOfTwoGroup;

import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.LossOps;
import dev.dendrite.backend.RegressionKind;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's fused losses (kernels/opencl/losses.cl).
 */
record OpenClLossOps(OpenClContext ctx, OpenClReductionOps reductions) implements LossOps {
    /**
     * The most chunk partials (ROWS_PER_CHUNK rows of a column each) that a softmax loss kernel's last group sums for
     * the output layer's bias gradient (biasGradientInLoss): four per work-item of a 256 group. A course's output layer
     * (10 classes, batches up to 1,024 rows: 640) stays within it; a wide one (1,000 classes) leaves its columns to
     * column_partial_sums's many groups rather than one.
     */
    static final int BIAS_PARTIALS_IN_LOSS = 1024;

    /**
     * Whether the softmax loss kernels sum a {@code rows x cols} layer's bias gradient in their last group (row_stats.h's
     * dendrite_loss_end_by_last_group): with lastGroup on, rows to sum, and at most BIAS_PARTIALS_IN_LOSS partials.
     */
    boolean biasGradientInLoss(int rows, int cols) {
        return ctx.lastGroupFolds && rows > 0 && (long) ceilDiv(rows, ROWS_PER_CHUNK) * cols <= BIAS_PARTIALS_IN_LOSS;
    }
    @Override
    public void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                    Slice classWeights, Slice rowWeights, Slice probs, Slice dlogits, float gradScale,
                                    Slice stats) {
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = ctx.scratch(8L * rows);
            OpenClKernel k = ctx.programs.kernel("losses.cl",
                    sparseLabels ? "softmax_xent_sparse" : "softmax_xent_dense");
            ctx.withArgs(k, logits, labels, rows, cols, classWeights, classWeights != null, rowWeights,
                    rowWeights != null, probs, dlogits, dlogits != null, gradScale).mem(rowStats, 0);
            if (sparseLabels) {
                k.mem(ctx.errors);
            }
            runWithStats(k, rows, stats, !sparseLabels, rowStats, 0);
        } catch (CLException e) {
            throw ctx.clFailure("softmaxCrossEntropy", (sparseLabels ? "sparse" : "dense") + " labels, rows=" + rows
                    + ", cols=" + cols, e);
        }
    }

    /**
     * Backend.denseSoftmaxCrossEntropy after its product (or a split product's {@code splits} partial sums, which the
     * kernel folds first where {@code partials} is non-null): the softmax layer's bias and softmax and the loss in one
     * launch (losses.cl's softmax_forward_xent_*), then the row statistics added up as softmaxCrossEntropy does.
     */
    void softmaxForwardCrossEntropy(Slice z, Slice bias, Slice y, Slice labels, boolean sparseLabels, int rows,
                                    int cols, Slice probs, Slice dlogits, float gradScale, Slice stats,
                                    cl_mem partials, int splits, Slice dbias) {
        if (rows == 0) {
            return;
        }
        try {
            // The row statistics, then the bias gradient's chunk partials, go after the product's partial sums in the
            // one scratch buffer (a grown one is a new buffer, and the partials stay in the old one), so that the
            // kernel never writes what it still reads.
            int statsAt = partials == null ? 0 : Math.multiplyExact(Math.multiplyExact(splits, rows), cols);
            cl_mem rowStats = ctx.scratch(4L * statsAt + 8L * rows + biasScratch(dbias, rows, cols));
            OpenClKernel k = ctx.programs.kernel("losses.cl",
                    sparseLabels ? "softmax_forward_xent_sparse" : "softmax_forward_xent_dense");
            ctx.withArgs(k, z, bias, bias != null, y, labels, rows, cols, probs, dlogits, dlogits != null, gradScale)
                    .mem(rowStats, statsAt);
            if (sparseLabels) {
                k.mem(ctx.errors);
            }
            k.mem(partials == null ? ctx.dummy : partials).i(partials == null ? 0 : splits);
            int local = powerOfTwoGroup(k, GROUP);
            statsArgs(k, stats, !sparseLabels, local, dbias, rowStats, statsAt + 2 * rows);
            k.run(ctx.queue, (long) ceilDiv(rows, local) * local, local);
            statsAfter(rowStats, statsAt, rows, stats);
        } catch (CLException e) {
            throw ctx.clFailure("denseSoftmaxCrossEntropy", (sparseLabels ? "sparse" : "dense") + " labels, rows="
                    + rows + ", cols=" + cols, e);
        }
    }

    /**
     * {@link #softmaxForwardCrossEntropy} for a layer whose product {@code x w} ({@code k} deep) takes gemm_rows: the
     * kernel computes z itself (losses.cl's softmax_forward_xent_rows), with gemm_rows's bits, in GemmVariant.ROWS's
     * groups; then the row statistics added up as there.
     */
    void rowsSoftmaxForwardCrossEntropy(Slice x, Slice w, int k, Slice z, Slice bias, Slice y, Slice labels,
                                        boolean sparseLabels, int rows, int cols, Slice probs, Slice dlogits,
                                        float gradScale, Slice stats, Slice dbias) {
        try {
            cl_mem rowStats = ctx.scratch(8L * rows + biasScratch(dbias, rows, cols));
            OpenClKernel kernel = ctx.programs.kernel("losses.cl", "softmax_forward_xent_rows");
            // labels and targets are the same slice: the kernel reads the one that sparse names
            ctx.withArgs(kernel, x, w, k, z, bias, bias != null, y, labels, labels, sparseLabels, rows, cols, probs,
                    dlogits, dlogits != null, gradScale).mem(rowStats, 0).mem(ctx.errors);
            GemmVariant v = GemmVariant.ROWS; // 32 x 8 = 256 work-items a group: a power of two, GROUP itself
            statsArgs(kernel, stats, false, v.threadsX() * v.threadsY(), dbias, rowStats, 2 * rows);
            int[] groups = v.groups(rows, cols, k);
            kernel.run(ctx.queue, (long) groups[0] * v.threadsX(), (long) groups[1] * v.threadsY(), v.threadsX(),
                    v.threadsY());
            statsAfter(rowStats, 0, rows, stats);
        } catch (CLException e) {
            throw ctx.clFailure("denseSoftmaxCrossEntropy", (sparseLabels ? "sparse" : "dense") + " labels, rows="
                    + rows + ", k=" + k + ", cols=" + cols, e);
        }
    }

    /**
     * Launches softmax loss kernel {@code k} (its arguments set up to the row statistics, and the error block where it
     * takes one) over {@code rows}, one work-item a row, in groups of powerOfTwoGroup of GROUP, as accumulate_stats
     * runs: the last group adds the row statistics ({@code rowStats} from float {@code at}) into {@code stats} as
     * accumulate_stats would (row_stats.h), in the same launch; with -Ddendrite.opencl.lastGroup=false
     * accumulate_stats does, after it. {@code control}: the kernel takes the error block only for the ticket after it.
     */
    private void runWithStats(OpenClKernel k, int rows, Slice stats, boolean control, cl_mem rowStats, int at) {
        int local = powerOfTwoGroup(k, GROUP);
        statsArgs(k, stats, control, local);
        k.run(ctx.queue, (long) ceilDiv(rows, local) * local, local);
        statsAfter(rowStats, at, rows, stats);
    }

    /**
     * A softmax loss kernel's last arguments (row_stats.h): whether its last group adds up the statistics, where to,
     * the error block for the ticket where the kernel takes it only for that ({@code control}), and local memory for
     * a group of {@code local} work-items.
     */
    private void statsArgs(OpenClKernel k, Slice stats, boolean control, int local) {
        statsTargets(k, stats, control);
        k.local(4L * local).local(4L * local);
    }

    /** Whether the last group adds up the statistics, where to, and the error block where the kernel takes it. */
    private void statsTargets(OpenClKernel k, Slice stats, boolean control) {
        k.i(ctx.lastGroupFolds ? 1 : 0).mem(ctx.mem(stats), stats.offset());
        if (control) {
            k.mem(ctx.errors);
        }
    }

    /**
     * The same for a softmax layer's forward kernel, with the bias gradient's arguments before the local memory: with
     * {@code dbias} non-null (biasGradientInLoss said so) the last group sums dlogits' columns into it, its chunk
     * partials in {@code scratch} from float {@code partialsAt} (biasScratch's bytes).
     */
    private void statsArgs(OpenClKernel k, Slice stats, boolean control, int local, Slice dbias, cl_mem scratch,
                           int partialsAt) {
        statsTargets(k, stats, control);
        boolean on = dbias != null;
        k.i(on ? 1 : 0).i(ROWS_PER_CHUNK).mem(on ? scratch : ctx.dummy, on ? partialsAt : 0)
                .mem(ctx.mem(dbias), offset(dbias)).local(4L * local).local(4L * local);
    }

    /** The bytes of scratch that the bias gradient's chunk partials take (none without one). */
    private static long biasScratch(Slice dbias, int rows, int cols) {
        return dbias == null ? 0 : 4L * ceilDiv(rows, ROWS_PER_CHUNK) * cols;
    }

    /** With -Ddendrite.opencl.lastGroup=false: the row statistics added up by accumulate_stats, a launch of its own. */
    private void statsAfter(cl_mem rowStats, int at, int rows, Slice stats) {
        if (!ctx.lastGroupFolds) {
            reductions.accumulateStats(rowStats, at, rows, rows, 1f, 0f, 1f, ctx.mem(stats), stats.offset());
        }
    }

    @Override
    public void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice classWeights,
                                    Slice rowWeights, Slice probs, Slice dlogits, float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = ctx.scratch(8L * rows);
            OpenClKernel k = ctx.programs.kernel("losses.cl", "sigmoid_xent");
            ctx.withArgs(k, logits, targets, rows, cols, classWeights, classWeights != null, rowWeights,
                    rowWeights != null, probs, dlogits, dlogits != null, (float) ((double) gradScale / cols))
                    .mem(rowStats, 0);
            ctx.run1(k, rows);
            reductions.accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, ctx.mem(stats), stats.offset());
        } catch (CLException e) {
            throw ctx.clFailure("sigmoidCrossEntropy", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                               Slice rowWeights, Slice dpred, float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        try {
            cl_mem rowStats = ctx.scratch(8L * rows);
            OpenClKernel k = ctx.programs.kernel("losses.cl", "regression_loss");
            ctx.withArgs(k, pred, targets, rows, cols, kind.code(), delta, rowWeights, rowWeights != null, dpred,
                    dpred != null, gradScale / cols).mem(rowStats, 0);
            ctx.run1(k, rows);
            reductions.accumulateStats(rowStats, 0, rows, rows, 1f, 0f, 1f, ctx.mem(stats), stats.offset());
        } catch (CLException e) {
            throw ctx.clFailure("regressionLoss", kind + ", rows=" + rows + ", cols=" + cols, e);
        }
    }
}
