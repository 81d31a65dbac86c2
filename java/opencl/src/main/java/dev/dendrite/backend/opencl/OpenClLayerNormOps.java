package dev.dendrite.backend.opencl;


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
        // A work-item per row.
        ctx.runItems("layerNormForward", "rows=" + rows + ", cols=" + cols, rows, "layernorm.cl", "layernorm_forward",
                x, rows, cols, gamma, gamma != null, beta, beta != null, eps, y, saveMean, saveInvStd);
    }

    @Override
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        try {
            if (dx != null && rows > 0) {
                OpenClKernel k = ctx.programs.kernel("layernorm.cl", "layernorm_backward_dx");
                ctx.withArgs(k, x, dy, rows, cols, gamma, gamma != null, saveMean, saveInvStd, dx);
                ctx.run1(k, rows);
            }
            if (dgamma != null || dbeta != null) {
                OpenClKernel k = ctx.programs.kernel("layernorm.cl", "layernorm_backward_params");
                ctx.withArgs(k, x, dy, rows, cols, saveMean, saveInvStd, dgamma, dgamma != null, dbeta, dbeta != null);
                ctx.run1(k, cols);
            }
        } catch (CLException e) {
            throw ctx.clFailure("layerNormBackward", "rows=" + rows + ", cols=" + cols, e);
        }
    }
}
