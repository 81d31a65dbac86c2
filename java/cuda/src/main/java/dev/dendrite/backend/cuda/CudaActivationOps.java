package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.TILE_COLS;
import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static dev.dendrite.backend.cuda.CudaContext.tileRows;

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
                ctx.copyUnlessSame(z, y, total);
            } else {
                forward(z, bias, rows, cols, f, alpha, y, null, 0f, 0L, 0, null);
            }
        } catch (CudaException e) {
            throw ctx.fail("biasActivationForward", "rows=" + rows + ", cols=" + cols + ", " + f + ", bias="
                    + (bias != null), e);
        }
    }

    /**
     * bias_activation_forward for an element-wise {@code f}, and with a Dropout after the layer ({@code counters}
     * non-null) its output dropped into {@code yDropped} as well (Backend.denseDropoutForward).
     */
    void forward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, float alpha, Slice y,
                 Slice yDropped, float rate, long seed, int stream, Slice counters) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        ctx.launch(CudaKernel.BIAS_ACTIVATION_FORWARD, ctx.elementGrid(total), BLOCK, 1, 0, ptr(z), ptr(bias), rows,
                cols, activationCode(f), alpha, ptr(y), ptr(yDropped), rate, (int) seed, (int) (seed >>> 32), stream,
                ptr(counters));
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        long total = (long) rows * cols;
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
            } else if (pdb == null && total > 0 && f == ActivationFunction.LINEAR) {
                ctx.copyUnlessSame(dy, dz, total);
            } else {
                backward(z, dy, rows, cols, f, alpha, dz, dbias, 0f, 0L, 0, null);
            }
        } catch (CudaException e) {
            throw ctx.fail("activationBackward", "rows=" + rows + ", cols=" + cols + ", " + f + ", dbias="
                    + (dbias != null), e);
        }
    }

    /**
     * dz = dy * f'(z) for an element-wise {@code f}, with the column sums into {@code dbias} when it is non-null,
     * and with a Dropout after the layer ({@code counters} non-null) dy dropped as it is read
     * (Backend.activationDropoutBackward).
     */
    void backward(Slice z, Slice dy, int rows, int cols, ActivationFunction f, float alpha, Slice dz, Slice dbias,
                  float rate, long seed, int stream, Slice counters) {
        long total = (long) rows * cols;
        CUdeviceptr pz = ptr(z);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pdz = ptr(dz);
        CUdeviceptr pdb = ptr(dbias);
        if (pdb != null && cols > 0) {
            backwardWithBias(pz, pdy, rows, cols, f, alpha, pdz, pdb, rate, seed, stream, counters, null, null, 0,
                    null, 0);
        } else if (total > 0) {
            ctx.launch(CudaKernel.ACTIVATION_BACKWARD, ctx.elementGrid(total), BLOCK, 1, 0, pz, pdy, pdz, (int) total,
                    activationCode(f), alpha, rate, (int) seed, (int) (seed >>> 32), stream, ptr(counters));
        }
    }

    /**
     * activation_backward_bias: {@link #backward} with a bias gradient, its dy either {@code pdy}, or the layer
     * above's input gradient not yet computed (Backend.inputGradientActivationBackward): the thin product
     * {@code dzNext wNext^T} over {@code k} ({@code wNext} non-null), or the fold of a split product's
     * {@code splits} partial sums ({@code splits > 0}), each written to dz and read back by the same thread.
     */
    void backwardWithBias(CUdeviceptr pz, CUdeviceptr pdy, int rows, int cols, ActivationFunction f, float alpha,
                          CUdeviceptr pdz, CUdeviceptr pdb, float rate, long seed, int stream, Slice counters,
                          CUdeviceptr dzNext, CUdeviceptr wNext, int k, CUdeviceptr partials, int splits) {
        ctx.launch(CudaKernel.ACTIVATION_BACKWARD_BIAS, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                pz, pdy, pdz, pdb, rows, cols, activationCode(f), alpha, rate, (int) seed, (int) (seed >>> 32),
                stream, ptr(counters), dzNext, wNext, k, partials, splits);
    }

    @Override
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        int hasMax = Float.isFinite(maxValue) ? 1 : 0;
        ctx.launchElements("reluForward", n, CudaKernel.RELU_LAYER_FORWARD, ctx.elementGrid(n), ptr(x), n,
                negativeSlope, hasMax, hasMax == 1 ? maxValue : 0f, threshold, ptr(y));
    }

    @Override
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        int hasMax = Float.isFinite(maxValue) ? 1 : 0;
        ctx.launchElements("reluBackward", n, CudaKernel.RELU_LAYER_BACKWARD, ctx.elementGrid(n), ptr(x), ptr(dy), n,
                negativeSlope, hasMax, hasMax == 1 ? maxValue : 0f, threshold, ptr(dx));
    }

    @Override
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        ctx.launchMatrix("preluForward", rows, cols, CudaKernel.PRELU_FORWARD, ctx.elementGrid(total), BLOCK, 1, ptr(x),
                ptr(alpha), rows, cols, ptr(y));
    }

    @Override
    public void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        CUdeviceptr px = ptr(x);
        CUdeviceptr pa = ptr(alpha);
        CUdeviceptr pdy = ptr(dy);
        CUdeviceptr pdx = ptr(dx);
        CUdeviceptr pda = ptr(dalpha);
        if (cols == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.PRELU_BACKWARD, ceilDiv(cols, TILE_COLS), TILE_COLS, tileRows(rows), 0,
                    px, pa, pdy, pdx, pda, rows, cols);
        } catch (CudaException e) {
            throw ctx.fail("preluBackward", "rows=" + rows + ", cols=" + cols + ", dx=" + (dx != null), e);
        }
    }

    @Override
    public void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                              float offset, Slice y) {
        long total = (long) rows * cols;
        String context = "rows=" + rows + ", cols=" + cols + ", period=" + period;
        ctx.launchItems("featureAffine", context, total, CudaKernel.FEATURE_AFFINE, ctx.elementGrid(total), ptr(x),
                rows, cols, ptr(mean), ptr(variance), period, scale, offset, ptr(y));
    }
}
