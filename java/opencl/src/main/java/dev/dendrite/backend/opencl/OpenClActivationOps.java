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
                k.args().mem(ctx.mem(z), z.offset()).mem(ctx.mem(bias), offset(bias)).i(bias == null ? 0 : 1)
                        .i(rows).i(cols).mem(ctx.mem(y), y.offset());
                ctx.run1(k, rows);
            } else {
                OpenClKernel k = ctx.programs.kernel("activations.cl", "bias_activation_forward");
                k.args().mem(ctx.mem(z), z.offset()).mem(ctx.mem(bias), offset(bias)).i(bias == null ? 0 : 1)
                        .i(rows).i(cols).i(activationCode(f)).f(alpha).mem(ctx.mem(y), y.offset());
                ctx.run1(k, total);
            }
        } catch (CLException e) {
            throw ctx.clFailure("biasActivationForward", f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
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
                k.args().mem(ctx.mem(y), y.offset()).mem(ctx.mem(dy), dy.offset()).mem(ctx.mem(dz), dz.offset()).i(rows)
                        .i(cols);
                ctx.run1(k, rows);
                if (dbias != null) {
                    reductions.columnSumsInto(ctx.mem(dz), dz.offset(), rows, cols, ctx.mem(dbias), dbias.offset());
                }
                return;
            }
            int chunks = ceilDiv(rows, ROWS_PER_CHUNK);
            boolean direct = dbias != null && chunks == 1;
            cl_mem partial = dbias == null ? ctx.dummy : direct ? ctx.mem(dbias) : ctx.scratch(4L * chunks * cols);
            int po = direct ? dbias.offset() : 0;
            OpenClKernel k = ctx.programs.kernel("activations.cl", "activation_backward");
            k.args().mem(ctx.mem(z), z.offset()).mem(ctx.mem(dy), dy.offset()).mem(ctx.mem(dz),
                    dz.offset()).i(rows).i(cols)
                    .i(activationCode(f)).f(alpha).i(ROWS_PER_CHUNK).mem(partial, po).i(dbias == null ? 0 : 1);
            ctx.runColumns(k, cols, chunks);
            if (dbias != null && !direct) {
                reductions.finalizeColumns(partial, 0, chunks, cols, 1f, ctx.mem(dbias), dbias.offset());
            }
        } catch (CLException e) {
            throw ctx.clFailure("activationBackward", f + ", rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        if (n == 0) {
            return;
        }
        int hasMax = Float.isFinite(maxValue) ? 1 : 0;
        try {
            OpenClKernel k = ctx.programs.kernel("activations.cl", "relu_layer_forward");
            k.args().mem(ctx.mem(x), x.offset()).i(n).f(negativeSlope).i(hasMax).f(hasMax == 1 ? maxValue : 0f)
                    .f(threshold).mem(ctx.mem(y), y.offset());
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("reluForward", "n=" + n, e);
        }
    }

    @Override
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        if (n == 0) {
            return;
        }
        int hasMax = Float.isFinite(maxValue) ? 1 : 0;
        try {
            OpenClKernel k = ctx.programs.kernel("activations.cl", "relu_layer_backward");
            k.args().mem(ctx.mem(x), x.offset()).mem(ctx.mem(dy), dy.offset()).i(n).f(negativeSlope).i(hasMax)
                    .f(hasMax == 1 ? maxValue : 0f).f(threshold).mem(ctx.mem(dx), dx.offset());
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("reluBackward", "n=" + n, e);
        }
    }

    @Override
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("activations.cl", "prelu_forward");
            k.args().mem(ctx.mem(x), x.offset()).mem(ctx.mem(alpha), alpha.offset()).i(rows).i(cols)
                    .mem(ctx.mem(y), y.offset());
            ctx.run1(k, total);
        } catch (CLException e) {
            throw ctx.clFailure("preluForward", "rows=" + rows + ", cols=" + cols, e);
        }
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
            k.args().mem(ctx.mem(x), x.offset()).mem(ctx.mem(alpha), alpha.offset()).mem(ctx.mem(dy), dy.offset())
                    .mem(ctx.mem(dx), offset(dx)).i(dx == null ? 0 : 1).i(rows).i(cols).i(ROWS_PER_CHUNK)
                    .mem(partial, po);
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
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("activations.cl", "feature_affine");
            k.args().mem(ctx.mem(x), x.offset()).i(rows).i(cols).mem(ctx.mem(mean), offset(mean))
                    .i(mean == null ? 0 : 1).mem(ctx.mem(variance), offset(variance)).i(variance == null ? 0 : 1)
                    .i(period).f(scale).f(offset).mem(ctx.mem(y), y.offset());
            ctx.run1(k, total);
        } catch (CLException e) {
            throw ctx.clFailure("featureAffine", "rows=" + rows + ", cols=" + cols + ", period=" + period, e);
        }
    }
}
