package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.ROWS_PER_CHUNK;
import static dev.dendrite.backend.opencl.OpenClContext.ceilDiv;
import static dev.dendrite.backend.opencl.OpenClContext.offset;
import static org.jocl.CL.clEnqueueCopyBuffer;

import dev.dendrite.backend.BatchNormOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's batch normalisation (kernels/opencl/batchnorm.cl).
 */
record OpenClBatchNormOps(OpenClContext ctx, OpenClReductionOps reductions) implements BatchNormOps {
    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar,
                                         Slice y, Slice saveMean, Slice saveInvStd) {
        forwardTraining("batchNormForwardTraining", x, rows, cols, gamma, beta, eps, momentum, runningMean,
                runningVar, y, saveMean, saveInvStd, 0f, 0L, 0, null);
    }

    /**
     * Backend.batchNormDropoutForward with the dropout inside bn_normalize (none with rate 0: then its forward pass
     * is a copy of y onto itself).
     */
    void forwardTraining(String op, Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, float momentum,
                         Slice runningMean, Slice runningVar, Slice y, Slice saveMean, Slice saveInvStd, float rate,
                         long seed, int stream, Slice counters) {
        if (cols == 0) {
            return;
        }
        try {
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            cl_mem partial = ctx.scratch(4L * chunks * cols);
            // Mean: column sums / rows, folded straight into saveMean by the sums' last work-group.
            reductions.columnPartialSums(ctx.mem(x), x.offset(), rows, cols, chunks, partial, 0, true, rows,
                    ctx.mem(saveMean), saveMean.offset());
            // Biased variance from squared deviations, 1 / std, running statistics.
            OpenClKernel dev = ctx.programs.kernel("batchnorm.cl", "bn_square_deviation_partials");
            ctx.withArgs(dev, x, rows, cols, ROWS_PER_CHUNK, saveMean).mem(partial, 0);
            ctx.runColumns(dev, cols, chunks);
            OpenClKernel fin = ctx.programs.kernel("batchnorm.cl", "bn_finalize_statistics");
            fin.args().mem(partial, 0).i(chunks).i(rows).i(cols).f(eps).f(momentum)
                    .mem(ctx.mem(saveMean), saveMean.offset()).mem(ctx.mem(saveInvStd), saveInvStd.offset())
                    .mem(ctx.mem(runningMean), runningMean.offset()).mem(ctx.mem(runningVar), runningVar.offset());
            ctx.run1(fin, cols);
            OpenClKernel norm = ctx.programs.kernel("batchnorm.cl", "bn_normalize");
            ctx.withArgs(norm, x, rows, cols, saveMean, saveInvStd, gamma, gamma != null, beta, beta != null, y);
            ctx.dropoutArgs(norm, rate, seed, stream, counters);
            ctx.run1(norm, (long) rows * cols);
        } catch (CLException e) {
            throw ctx.clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        ctx.runItems("batchNormForwardInference", "rows=" + rows + ", cols=" + cols, (long) rows * cols,
                "batchnorm.cl", "bn_inference", x, rows, cols, gamma, gamma != null, beta, beta != null, eps,
                runningMean, runningVar, y);
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                  Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        backward("batchNormBackward", x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, 0f, 0L, 0,
                null);
    }

    /** Backend.batchNormDropoutBackward with the dropout inside the kernels that read dy. */
    void backward(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                  Slice dx, Slice dgamma, Slice dbeta, float rate, long seed, int stream, Slice counters) {
        backward(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rate, seed, stream, counters,
                null, null, 0);
    }

    /**
     * The same, and with {@code wNext} non-null dy first written with the thin product {@code dzNext wNext^T} over
     * {@code kNext}, inside bn_backward_partials (Backend.batchNormBackwardBetween).
     */
    void backward(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                  Slice dx, Slice dgamma, Slice dbeta, float rate, long seed, int stream, Slice counters,
                  Slice dzNext, Slice wNext, int kNext) {
        long total = (long) rows * cols;
        if (cols == 0) {
            return;
        }
        try {
            // Per column: sum dy (first cols entries) and sum dy * xhat (next cols), in chunk partials.
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            int width = 2 * cols;
            boolean direct = chunks == 1;
            cl_mem work = ctx.scratch(4L * (direct ? width : (long) chunks * width + width));
            int sumsOffset = direct ? 0 : chunks * width;
            OpenClKernel part = ctx.programs.kernel("batchnorm.cl", "bn_backward_partials");
            ctx.withArgs(part, x, dy, rows, cols, ROWS_PER_CHUNK, saveMean, saveInvStd).mem(work, 0);
            ctx.dropoutArgs(part, rate, seed, stream, counters);
            part.mem(ctx.mem(dzNext), offset(dzNext)).mem(ctx.mem(wNext), offset(wNext)).i(kNext).i(wNext == null ? 0 : 1);
            ctx.runColumns(part, cols, chunks);
            if (!direct) {
                reductions.finalizeColumns(work, 0, chunks, width, 1f, work, sumsOffset);
            }
            if (dbeta != null) {
                cl_mem to = ctx.mem(dbeta);
                ctx.enqueue(q -> clEnqueueCopyBuffer(q, work, to, 4L * sumsOffset, 4L * dbeta.offset(), 4L * cols, 0,
                        null, null));
            }
            if (dgamma != null) {
                cl_mem to = ctx.mem(dgamma);
                ctx.enqueue(q -> clEnqueueCopyBuffer(q, work, to, 4L * (sumsOffset + cols), 4L * dgamma.offset(),
                        4L * cols, 0, null, null));
            }
            if (dx != null) {
                OpenClKernel k = ctx.programs.kernel("batchnorm.cl", "bn_backward_dx");
                ctx.withArgs(k, x, dy, rows, cols, gamma, gamma != null, saveMean, saveInvStd).mem(work, sumsOffset)
                        .mem(ctx.mem(dx), dx.offset());
                ctx.dropoutArgs(k, rate, seed, stream, counters);
                ctx.run1(k, total);
            }
        } catch (CLException e) {
            throw ctx.clFailure(op, "rows=" + rows + ", cols=" + cols, e);
        }
    }
}
