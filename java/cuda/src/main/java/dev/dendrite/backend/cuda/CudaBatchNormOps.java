package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.TILE_COLS;
import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static dev.dendrite.backend.cuda.CudaContext.tileRows;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.BatchNormOps;
import dev.dendrite.backend.Slice;

import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's batch normalisation (kernels/cuda/batchnorm.cu).
 */
record CudaBatchNormOps(CudaContext ctx) implements BatchNormOps {
    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar,
                                         Slice y, Slice saveMean, Slice saveInvStd) {
        forwardTraining("batchNormForwardTraining", x, rows, cols, gamma, beta, eps, momentum, runningMean,
                runningVar, y, saveMean, saveInvStd, 0f, 0L, 0, null);
    }

    /**
     * Backend.batchNormDropoutForward in one kernel: the training forward pass dropping each value as it writes
     * it (no dropout with rate 0: then its forward pass is a copy of y onto itself).
     */
    void forwardTraining(String op, Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, float momentum,
                         Slice runningMean, Slice runningVar, Slice y, Slice saveMean, Slice saveInvStd, float rate,
                         long seed, int stream, Slice counters) {
        forwardTraining(op, x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar, y, saveMean,
                saveInvStd, rate, seed, stream, counters, false, null, 0, null, ActivationFunction.LINEAR, 0f, null);
    }

    /**
     * The same, and with {@code dense} the dense layer before it from its product on (Backend.denseBatchNormForward):
     * z, folded from a split product's {@code splits} {@code partials} where {@code splits > 0}, plus {@code bias},
     * and x = f(z), all in batchnorm_forward_training's first pass.
     */
    void forwardTraining(String op, Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, float momentum,
                         Slice runningMean, Slice runningVar, Slice y, Slice saveMean, Slice saveInvStd, float rate,
                         long seed, int stream, Slice counters, boolean dense, CUdeviceptr partials, int splits,
                         Slice bias, ActivationFunction f, float alpha, Slice z) {
        if (cols == 0) {
            return;
        }
        Slice drop = rate > 0f ? counters : null; // the kernel's sign that a dropout follows
        ctx.launchMatrix(op, rows, cols, CudaKernel.BATCHNORM_FORWARD_TRAINING, ceilDiv(cols, TILE_COLS), TILE_COLS,
                tileRows(rows), ptr(x), rows, cols, ptr(gamma), ptr(beta), eps, momentum, ptr(runningMean),
                ptr(runningVar), ptr(y), ptr(saveMean), ptr(saveInvStd), rate, (int) seed, (int) (seed >>> 32),
                stream, ptr(drop), dense ? 1 : 0, partials, splits, ptr(bias), activationCode(f), alpha, ptr(z));
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        ctx.launchMatrix("batchNormForwardInference", rows, cols, CudaKernel.BATCHNORM_FORWARD_INFERENCE,
                ctx.elementGrid(total), BLOCK, 1, ptr(x), rows, cols, ptr(gamma), ptr(beta), eps, ptr(runningMean),
                ptr(runningVar), ptr(y));
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                  Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        backward("batchNormBackward", x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, 0f, 0L, 0,
                null);
    }

    /** Backend.batchNormDropoutBackward in one kernel: the backward pass dropping each gradient as it reads it. */
    void backward(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                  Slice dx, Slice dgamma, Slice dbeta, float rate, long seed, int stream, Slice counters) {
        backward(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rate, seed, stream, counters,
                null, null, 0, null, 0, null, ActivationFunction.LINEAR, 0f, null);
    }

    /**
     * The same between two dense layers (Backend.batchNormBackwardBetween): dy the dense layer above's input gradient
     * not yet computed, the thin product {@code dzNext wNext^T} over {@code k} ({@code wNext} non-null) or the fold
     * of a split product's {@code splits} partial sums ({@code splits > 0}), written into dy by batchnorm_backward's
     * first pass; and with {@code zBelow} non-null dx taken through the backward pass of the activation below.
     */
    void backward(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                  Slice dx, Slice dgamma, Slice dbeta, float rate, long seed, int stream, Slice counters,
                  CUdeviceptr dzNext, CUdeviceptr wNext, int k, CUdeviceptr partials, int splits, Slice zBelow,
                  ActivationFunction fBelow, float alphaBelow, Slice dbiasBelow) {
        if (cols == 0 || (dx == null && dgamma == null && dbeta == null)) {
            return;
        }
        Slice drop = rate > 0f ? counters : null;
        ctx.launchMatrix(op, rows, cols, CudaKernel.BATCHNORM_BACKWARD, ceilDiv(cols, TILE_COLS), TILE_COLS,
                tileRows(rows), ptr(x), ptr(dy), rows, cols, ptr(gamma), ptr(saveMean), ptr(saveInvStd), ptr(dx),
                ptr(dgamma), ptr(dbeta), rate, (int) seed, (int) (seed >>> 32), stream, ptr(drop), dzNext, wNext, k,
                partials, splits, ptr(zBelow), activationCode(zBelow == null ? ActivationFunction.LINEAR : fBelow),
                alphaBelow, ptr(dbiasBelow));
    }
}
