package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.TILE_COLS;
import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static dev.dendrite.backend.cuda.CudaContext.tileRows;

import dev.dendrite.backend.BatchNormOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's batch normalisation (kernels/cuda/batchnorm.cu).
 */
record CudaBatchNormOps(CudaContext ctx) implements BatchNormOps {
    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar,
                                         Slice y, Slice saveMean, Slice saveInvStd) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr pg = ptr(gamma);
        CUdeviceptr pb = ptr(beta);
        CUdeviceptr prm = ptr(runningMean);
        CUdeviceptr prv = ptr(runningVar);
        CUdeviceptr py = ptr(y);
        CUdeviceptr psm = ptr(saveMean);
        CUdeviceptr psi = ptr(saveInvStd);
        if (cols == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.BATCHNORM_FORWARD_TRAINING, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                    px, rows, cols, pg, pb, eps, momentum, prm, prv, py, psm, psi);
        } catch (CudaException e) {
            throw ctx.fail("batchNormForwardTraining", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        long total = (long) rows * cols;
        CUdeviceptr px = ptr(x);
        CUdeviceptr pg = ptr(gamma);
        CUdeviceptr pb = ptr(beta);
        CUdeviceptr prm = ptr(runningMean);
        CUdeviceptr prv = ptr(runningVar);
        CUdeviceptr py = ptr(y);
        if (total == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.BATCHNORM_FORWARD_INFERENCE, ctx.elementGrid(total), BLOCK, 1, 0,
                    px, rows, cols, pg, pb, eps, prm, prv, py);
        } catch (CudaException e) {
            throw ctx.fail("batchNormForwardInference", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                  Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pg = ptr(gamma);
        CUdeviceptr psm = ptr(saveMean);
        CUdeviceptr psi = ptr(saveInvStd);
        CUdeviceptr pdx = ptr(dx);
        CUdeviceptr pdg = ptr(dgamma);
        CUdeviceptr pdb = ptr(dbeta);
        if (cols == 0 || (dx == null && dgamma == null && dbeta == null)) {
            return;
        }
        try {
            ctx.launch(CudaKernel.BATCHNORM_BACKWARD, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                    px, pdy, rows, cols, pg, psm, psi, pdx, pdg, pdb);
        } catch (CudaException e) {
            throw ctx.fail("batchNormBackward", "rows=" + rows + ", cols=" + cols, e);
        }
    }
}
