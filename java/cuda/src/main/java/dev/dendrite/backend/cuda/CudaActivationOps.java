package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.TILE_COLS;
import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static dev.dendrite.backend.cuda.CudaContext.sameElements;
import static dev.dendrite.backend.cuda.CudaContext.tileRows;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.ActivationOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's activation passes (kernels/cuda/activations.cu).
 */
record CudaActivationOps(CudaContext ctx, CudaReductionOps reductions) implements ActivationOps {
    @Override
    public void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                                      ActivationFunction f, float alpha, Slice y) {
        long total = (long) rows * cols;
        CUdeviceptr pz = ptr(z);
        CUdeviceptr py = ptr(y);
        CUdeviceptr pbias = ptr(bias);
        if (total == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                ctx.launch(CudaKernel.SOFTMAX_FORWARD, ctx.rowGrid(rows, false), BLOCK, 1, 0, pz, pbias, rows, cols,
                        py);
            } else if (f == ActivationFunction.LINEAR && bias == null) {
                if (!sameElements(z, y)) {
                    cuMemcpyDtoDAsync(py, pz, total * 4, ctx.stream);
                    ctx.afterOp();
                }
            } else {
                ctx.launch(CudaKernel.BIAS_ACTIVATION_FORWARD, ctx.elementGrid(total), BLOCK, 1, 0,
                        pz, pbias, rows, cols, activationCode(f), alpha, py);
            }
        } catch (CudaException e) {
            throw ctx.fail("biasActivationForward", "rows=" + rows + ", cols=" + cols + ", " + f + ", bias="
                    + (bias != null), e);
        }
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        long total = (long) rows * cols;
        CUdeviceptr pz = ptr(z);
        CUdeviceptr py = ptr(y);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pdz = ptr(dz);
        CUdeviceptr pdb = ptr(dbias);
        if (cols == 0) {
            return;
        }
        try {
            if (f == ActivationFunction.SOFTMAX) {
                if (rows > 0) {
                    ctx.launch(CudaKernel.SOFTMAX_BACKWARD, ctx.rowGrid(rows, false), BLOCK, 1, 0, py, pdy, pdz,
                            rows, cols);
                }
                if (pdb != null) {
                    reductions.launchColumnSums(pdz, rows, cols, pdb);
                }
            } else if (pdb != null) {
                ctx.launch(CudaKernel.ACTIVATION_BACKWARD_BIAS, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                        pz, pdy, pdz, pdb, rows, cols, activationCode(f), alpha);
            } else if (total > 0) {
                if (f == ActivationFunction.LINEAR) {
                    if (!sameElements(dy, dz)) {
                        cuMemcpyDtoDAsync(pdz, pdy, total * 4, ctx.stream);
                        ctx.afterOp();
                    }
                } else {
                    ctx.launch(CudaKernel.ACTIVATION_BACKWARD, ctx.elementGrid(total), BLOCK, 1, 0,
                            pz, pdy, pdz, (int) total, activationCode(f), alpha);
                }
            }
        } catch (CudaException e) {
            throw ctx.fail("activationBackward", "rows=" + rows + ", cols=" + cols + ", " + f + ", dbias="
                    + (dbias != null), e);
        }
    }
}
