package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.TILE_COLS;
import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static dev.dendrite.backend.cuda.CudaContext.tileRows;

import dev.dendrite.backend.ReductionOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's reductions (kernels/cuda/reductions.cu): column sums, the bias gradient.
 */
record CudaReductionOps(CudaContext ctx) implements ReductionOps {
    @Override
    public void columnSums(Slice x, int rows, int cols, Slice out) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr po = ptr(out);
        if (cols == 0) {
            return;
        }
        try {
            launchColumnSums(px, rows, cols, po);
        } catch (CudaException e) {
            throw ctx.fail("columnSums", "rows=" + rows + ", cols=" + cols, e);
        }
    }

    void launchColumnSums(CUdeviceptr x, int rows, int cols, CUdeviceptr out) {
        ctx.launch(CudaKernel.COLUMN_SUMS, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0, x, rows, cols, out);
    }
}
