package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.opencl.OpenClContext.ROWS_PER_CHUNK;
import static dev.dendrite.backend.opencl.OpenClContext.ceilDiv;
import static dev.dendrite.backend.opencl.OpenClContext.offset;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.ActivationOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's activation passes (kernels/opencl/activations.cl).
 */
record OpenClActivationOps(OpenClContext ctx, OpenClReductionOps reductions) implements ActivationOps {
    @Override
    public void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                                      ActivationFunction f, float alpha, Slice y) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                OpenClKernel k = ctx.programs.kernel("activations.cl", "softmax_forward");
                ctx.run1(ctx.withArgs(k, z, bias, bias != null, rows, cols, y), rows);
            } else {
                forward(z, bias, rows, cols, f, alpha, y, null, 0f, 0L, 0, null);
            }
        } catch (CLException e) {
            throw ctx.clFailure("biasActivationForward", f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    /**
     * bias_activation_forward for an element-wise {@code f}, and with a Dropout after the layer ({@code rate} above 0)
     * its output dropped into {@code yDropped} as well (Backend.denseDropoutForward).
     */
    void forward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, float alpha, Slice y, Slice yDropped,
                 float rate, long seed, int stream, Slice counters) {
        OpenClKernel k = ctx.programs.kernel("activations.cl", "bias_activation_forward");
        ctx.withArgs(k, z, bias, bias != null, rows, cols, activationCode(f), alpha, y, yDropped);
        ctx.run1(ctx.dropoutArgs(k, rate, seed, stream, counters), (long) rows * cols);
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        backward("activationBackward", z, y, dy, rows, cols, f, alpha, dz, dbias, 0f, 0L, 0, null);
    }

    /**
     * activationBackward, and with a Dropout after the layer ({@code rate} above 0; {@code f} element-wise) each
     * gradient dropped as activation_backward reads it (Backend.activationDropoutBackward).
     */
    void backward(String op, Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, float alpha,
                  Slice dz, Slice dbias, float rate, long seed, int stream, Slice counters) {
        backward(op, z, y, dy, rows, cols, f, alpha, dz, dbias, rate, seed, stream, counters, null, null, 0, null, 0,
                null);
    }

    /**
     * The same, and with {@code wNext} non-null ({@code f} element-wise) dy the thin product {@code dzNext wNext^T}
     * over {@code kNext}, computed inside activation_backward (Backend.inputGradientActivationBackward), or with
     * {@code partials} non-null the fold of that product's {@code splits} partial sums; with {@code dwNext} non-null
     * (beside the thin product) the upper layer's weight gradient {@code y^T dzNext} too.
     */
    void backward(String op, Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, float alpha,
                  Slice dz, Slice dbias, float rate, long seed, int stream, Slice counters, Slice dzNext,
                  Slice wNext, int kNext, cl_mem partials, int splits, Slice dwNext) {
        if (dwNext != null && (wNext == null || rows == 0)) {
            throw new IllegalArgumentException(op + ": the upper weight gradient is computed beside a thin product "
                    + "over at least one row");
        }
        long total = (long) rows * cols;
        try {
            if (total == 0) {
                if (dbias != null && cols > 0) {
                    ctx.zero(ctx.mem(dbias), 4L * dbias.offset(), 4L * cols);
                }
                return;
            }
            if (f == ActivationFunction.SOFTMAX) {
                OpenClKernel k = ctx.programs.kernel("activations.cl", "softmax_backward");
                ctx.run1(ctx.withArgs(k, y, dy, dz, rows, cols), rows);
                if (dbias != null) {
                    reductions.columnSumsInto(ctx.mem(dz), dz.offset(), rows, cols, ctx.mem(dbias), dbias.offset());
                }
                return;
            }
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            boolean direct = dbias != null && chunks == 1;
            // The bias gradient's chunk partials go after a split product's partial sums in the one scratch buffer
            // (a grown one is a new buffer, and those stay in the old one): the kernel never writes what it reads.
            int after = partials == null ? 0 : Math.multiplyExact(Math.multiplyExact(splits, rows), cols);
            cl_mem partial = dbias == null ? ctx.dummy : direct ? ctx.mem(dbias)
                    : ctx.scratch(4L * after + 4L * chunks * cols);
            int po = direct ? dbias.offset() : after;
            OpenClKernel k = ctx.programs.kernel("activations.cl", "activation_backward");
            ctx.withArgs(k, z, dy, dz, rows, cols, activationCode(f), alpha, ROWS_PER_CHUNK).mem(partial, po)
                    .i(dbias == null ? 0 : 1);
            ctx.dropoutArgs(k, rate, seed, stream, counters);
            // The last work-group folds the bias gradient's chunk partials (column_chunks.h), column_finalize's bits.
            boolean fold = dbias != null && !direct && ctx.lastGroupFolds;
            k.mem(ctx.mem(dzNext), offset(dzNext)).mem(ctx.mem(wNext), offset(wNext)).i(kNext).i(wNext == null ? 0 : 1)
                    .mem(ctx.mem(dwNext == null ? null : y), dwNext == null ? 0 : y.offset())
                    .mem(ctx.mem(dwNext), offset(dwNext)).i(dwNext == null ? 0 : 1)
                    .mem(partials == null ? ctx.dummy : partials).i(partials == null ? 0 : splits).i(fold ? 1 : 0)
                    .mem(fold ? ctx.mem(dbias) : ctx.dummy, fold ? dbias.offset() : 0).mem(ctx.errors);
            ctx.runColumns(k, cols, chunks);
            if (dbias != null && !direct && !fold) {
                reductions.finalizeColumns(partial, po, chunks, cols, 1f, ctx.mem(dbias), dbias.offset());
            }
        } catch (CLException e) {
            throw ctx.clFailure(op, f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        boolean hasMax = Float.isFinite(maxValue);
        ctx.runElements("reluForward", n, false, "activations.cl", "relu_layer_forward", x, n, negativeSlope, hasMax,
                hasMax ? maxValue : 0f, threshold, y);
    }

    @Override
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        boolean hasMax = Float.isFinite(maxValue);
        ctx.runElements("reluBackward", n, false, "activations.cl", "relu_layer_backward", x, dy, n, negativeSlope,
                hasMax, hasMax ? maxValue : 0f, threshold, dx);
    }

    @Override
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        ctx.runItems("preluForward", "rows=" + rows + ", cols=" + cols, (long) rows * cols, "activations.cl",
                "prelu_forward", x, alpha, rows, cols, y);
    }

    @Override
    public void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        try {
            if (cols == 0) {
                return;
            }
            if (rows == 0) {
                ctx.zero(ctx.mem(dalpha), 4L * dalpha.offset(), 4L * cols);
                return;
            }
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            boolean direct = chunks == 1;
            cl_mem partial = direct ? ctx.mem(dalpha) : ctx.scratch(4L * chunks * cols);
            int po = direct ? dalpha.offset() : 0;
            OpenClKernel k = ctx.programs.kernel("activations.cl", "prelu_backward");
            ctx.withArgs(k, x, alpha, dy, dx, dx != null, rows, cols, ROWS_PER_CHUNK).mem(partial, po);
            ctx.runColumns(k, cols, chunks);
            if (!direct) {
                reductions.finalizeColumns(partial, 0, chunks, cols, 1f, ctx.mem(dalpha), dalpha.offset());
            }
        } catch (CLException e) {
            throw ctx.clFailure("preluBackward", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                              float offset, Slice y) {
        ctx.runItems("featureAffine", "rows=" + rows + ", cols=" + cols + ", period=" + period, (long) rows * cols,
                "activations.cl", "feature_affine", x, rows, cols, mean, mean != null, variance, variance != null,
                period, scale, offset, y);
    }
}
