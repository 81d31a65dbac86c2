package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.LayerNormOps;
import dev.dendrite.backend.Slice;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's layer normalisation (kernels/cuda/layernorm.cu): a thread per row for the forward pass and
 * dx, a thread per column for dgamma and dbeta.
 */
record CudaLayerNormOps(CudaContext ctx) implements LayerNormOps {
    @Override
    public void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                 Slice saveMean, Slice saveInvStd) {
        if (rows == 0) {
            return;
        }
        ctx.launchMatrix("layerNormForward", rows, cols, CudaKernel.LAYERNORM_FORWARD, ctx.elementGrid(rows), BLOCK,
                1, ptr(x), rows, cols, ptr(gamma), ptr(beta), eps, ptr(y), ptr(saveMean), ptr(saveInvStd));
    }

    @Override
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pgamma = ptr(gamma);
        CUdeviceptr pmean = ptr(saveMean);
        CUdeviceptr pinv = ptr(saveInvStd);
        CUdeviceptr pdx = ptr(dx);
        CUdeviceptr pdgamma = ptr(dgamma);
        CUdeviceptr pdbeta = ptr(dbeta);
        String op = "layerNormBackward";
        if (pdx != null && rows > 0) {
            ctx.launchMatrix(op, rows, cols, CudaKernel.LAYERNORM_BACKWARD_DX, ctx.elementGrid(rows), BLOCK, 1, px, pdy,
                    rows, cols, pgamma, pmean, pinv, pdx);
        }
        if (pdgamma != null || pdbeta != null) {
            ctx.launchMatrix(op, rows, cols, CudaKernel.LAYERNORM_BACKWARD_PARAMS, ctx.elementGrid(cols), BLOCK, 1, px,
                    pdy, rows, cols, pmean, pinv, pdgamma, pdbeta);
        }
    }
}
