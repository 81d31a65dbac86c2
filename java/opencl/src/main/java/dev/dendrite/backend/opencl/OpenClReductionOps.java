package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.GROUP;
import static dev.dendrite.backend.opencl.OpenClContext.ROWS_PER_CHUNK;
import static dev.dendrite.backend.opencl.OpenClContext.ceilDiv;
import static dev.dendrite.backend.opencl.OpenClContext.offset;
import static dev.dendrite.backend.opencl.OpenClContext.powerOfTwoGroup;

import dev.dendrite.backend.ReductionOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's reductions (kernels/opencl/reductions.cl): column sums in chunk partials, and the loss
 * and penalty totals added to stats in one work-group.
 */
record OpenClReductionOps(OpenClContext ctx) implements ReductionOps {
    @Override
    public void columnSums(Slice x, int rows, int cols, Slice out) {
        try {
            columnSumsInto(ctx.mem(x), x.offset(), rows, cols, ctx.mem(out), out.offset());
        } catch (CLException e) {
            throw ctx.clFailure("columnSums", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    /** Enqueues {@code out[c] = sum_r x[r, c]}: chunk partials, then their sum (one pass when one chunk). */
    void columnSumsInto(cl_mem x, int xo, int rows, int cols, cl_mem out, int oo) {
        if (cols == 0) {
            return;
        }
        if (rows == 0) {
            ctx.zero(out, 4L * oo, 4L * cols);
            return;
        }
        int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
        boolean direct = chunks == 1;
        cl_mem partial = direct ? out : ctx.scratch(4L * chunks * cols);
        int po = direct ? oo : 0;
        columnPartialSums(x, xo, rows, cols, chunks, partial, po, !direct, 1f, out, oo);
    }

    /**
     * Enqueues column_partial_sums of {@code x} into {@code partial} ({@code chunks} of them per column); with
     * {@code fold}, {@code out[c]} = their sum / {@code divisor} too: by the kernel's last work-group, as
     * {@link #finalizeColumns} would, in the same launch (column_chunks.h), or with lastGroup off by finalizeColumns.
     */
    void columnPartialSums(cl_mem x, int xo, int rows, int cols, int chunks, cl_mem partial, int po, boolean fold,
                           float divisor, cl_mem out, int oo) {
        boolean last = fold && ctx.lastGroupFolds;
        OpenClKernel k = ctx.programs.kernel("reductions.cl", "column_partial_sums");
        k.args().mem(x, xo).i(rows).i(cols).i(ROWS_PER_CHUNK).mem(partial, po).i(last ? 1 : 0).f(divisor)
                .mem(last ? out : ctx.dummy, last ? oo : 0).mem(ctx.errors);
        ctx.runColumns(k, cols, chunks);
        if (fold && !last) {
            finalizeColumns(partial, po, chunks, cols, divisor, out, oo);
        }
    }

    /** Enqueues {@code out[c] = (sum over chunks of partial[chunk * width + c]) / divisor}. */
    void finalizeColumns(cl_mem partial, int po, int chunks, int width, float divisor, cl_mem out, int oo) {
        OpenClKernel k = ctx.programs.kernel("reductions.cl", "column_finalize");
        k.args().mem(partial, po).i(chunks).i(width).f(divisor).mem(out, oo);
        ctx.run1(k, width);
    }

    /**
     * Enqueues, in one work-group, {@code stats[0] += ca * A + cb * B} and {@code stats[1] += cc * B} with A and
     * B the sums of {@code count} values at {@code values[offset]} and {@code values[offset + bOffset]}.
     */
    void accumulateStats(cl_mem values, int offset, int bOffset, int count, float ca, float cb, float cc,
                         cl_mem stats, int so) {
        OpenClKernel k = ctx.programs.kernel("reductions.cl", "accumulate_stats");
        int local = powerOfTwoGroup(k, GROUP);
        k.args().mem(values, offset).mem(values, offset + bOffset).i(count).f(ca).f(cb).f(cc).mem(stats, so)
                .local(4L * local).local(4L * local);
        k.run(ctx.queue, local, local);
    }
}
