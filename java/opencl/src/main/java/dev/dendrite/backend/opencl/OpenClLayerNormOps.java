package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.offset;

import dev.dendrite.backend.LayerNormOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's layer normalisation (kernels/opencl/layernorm.cl): a work-item per row for the forward pass
 * and dx, a work-item per column for dgamma and dbeta.
 */
record OpenClLayerNormOps(OpenClContext ctx) implements LayerNormOps {
    @Override
    public void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                 Slice saveMean, Slice saveInvStd) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("layernorm.cl", "layernorm_forward");
            k.args().mem(ctx.mem(x), x.offset()).i(rows).i(cols)
                    .mem(ctx.mem(gamma), offset(gamma)).i(gamma == null ? 0 : 1)
                    .mem(ctx.mem(beta), offset(beta)).i(beta == null ? 0 : 1).f(eps)
                    .mem(ctx.mem(y), y.offset()).mem(ctx.mem(saveMean), saveMean.offset())
                    .mem(ctx.mem(saveInvStd), saveInvStd.offset());
            ctx.run1(k, rows);
        } catch (CLException e) {
            throw ctx.clFailure("layerNormForward", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        try {
            if (dx != null && rows > 0) {
                OpenClKernel k = ctx.programs.kernel("layernorm.cl", "layernorm_backward_dx");
                k.args().mem(ctx.mem(x), x.offset()).mem(ctx.mem(dy), dy.offset()).i(rows).i(cols)
                        .mem(ctx.mem(gamma), offset(gamma)).i(gamma == null ? 0 : 1)
                        .mem(ctx.mem(saveMean), saveMean.offset()).mem(ctx.mem(saveInvStd), saveInvStd.offset())
                        .mem(ctx.mem(dx), dx.offset());
                ctx.run1(k, rows);
            }
            if (dgamma != null || dbeta != null) {
                OpenClKernel k = ctx.programs.kernel("layernorm.cl", "layernorm_backward_params");
                k.args().mem(ctx.mem(x), x.offset()).mem(ctx.mem(dy), dy.offset()).i(rows).i(cols)
                        .mem(ctx.mem(saveMean), saveMean.offset()).mem(ctx.mem(saveInvStd), saveInvStd.offset())
                        .mem(ctx.mem(dgamma), offset(dgamma)).i(dgamma == null ? 0 : 1)
                        .mem(ctx.mem(dbeta), offset(dbeta)).i(dbeta == null ? 0 : 1);
                ctx.run1(k, cols);
            }
        } catch (CLException e) {
            throw ctx.clFailure("layerNormBackward", "rows=" + rows + ", cols=" + cols, e);
        }
    }
}
