package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.LossOps;
import dev.dendrite.backend.RegressionKind;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's fused losses (kernels/cuda/losses.cu).
 */
record CudaLossOps(CudaContext ctx) implements LossOps {
    @Override
    public void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                    Slice classWeights, Slice rowWeights, Slice probs, Slice dlogits, float gradScale,
                                    Slice stats) {
        CUdeviceptr pz = ptr(logits);
        CUdeviceptr pl = ptr(labels);
        CUdeviceptr pw = ptr(classWeights);
        CUdeviceptr pr = ptr(rowWeights);
        CUdeviceptr pp = ptr(probs);
        CUdeviceptr pg = ptr(dlogits);
        CUdeviceptr ps = ptr(stats);
        if (rows == 0) {
            return;
        }
        try {
            if (sparseLabels) {
                ctx.launch(CudaKernel.SOFTMAX_XENT_SPARSE, ctx.rowGrid(rows, true), BLOCK, 1, 0,
                        pz, pl, rows, cols, pw, pr, pp, pg, gradScale, ps, ctx.control);
                ctx.errorsPending = true;
            } else {
                ctx.launch(CudaKernel.SOFTMAX_XENT_DENSE, ctx.rowGrid(rows, true), BLOCK, 1, 0,
                        pz, pl, rows, cols, pw, pr, pp, pg, gradScale, ps, ctx.control);
            }
        } catch (CudaException e) {
            throw ctx.fail("softmaxCrossEntropy", "rows=" + rows + ", cols=" + cols + ", sparse=" + sparseLabels, e);
        }
    }

    /**
     * Backend.denseSoftmaxCrossEntropy after its product: the softmax forward (folding {@code partials}, the split
     * product's work space, into z first when non-null) and the loss in one kernel (losses.cu), on the loss's grid.
     */
    void softmaxForwardCrossEntropy(CUdeviceptr partials, int splits, Slice z, Slice bias, Slice y, Slice labels,
                                    boolean sparseLabels, int rows, int cols, Slice probs, Slice dlogits,
                                    float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        CudaKernel fused = sparseLabels ? CudaKernel.SOFTMAX_FORWARD_XENT_SPARSE
                : CudaKernel.SOFTMAX_FORWARD_XENT_DENSE;
        try {
            ctx.launch(fused, ctx.rowGrid(rows, true), BLOCK, 1, 0, partials, splits, ptr(z), ptr(bias), ptr(y),
                    ptr(labels), rows, cols, ptr(probs), ptr(dlogits), gradScale, ptr(stats), ctx.control);
            ctx.errorsPending |= sparseLabels;
        } catch (CudaException e) {
            throw ctx.fail("denseSoftmaxCrossEntropy", "rows=" + rows + ", cols=" + cols + ", sparse=" + sparseLabels,
                    e);
        }
    }

    /**
     * {@link #softmaxForwardCrossEntropy} for a layer whose product {@code x w} ({@code k} deep) takes gemm_rows: the
     * kernel computes z itself (softmax_forward_xent_rows, losses.cu), with gemm_rows's bits.
     */
    void rowsSoftmaxForwardCrossEntropy(Slice x, Slice w, int k, Slice z, Slice bias, Slice y, Slice labels,
                                        boolean sparseLabels, int rows, int cols, Slice probs, Slice dlogits,
                                        float gradScale, Slice stats) {
        Slice classes = sparseLabels ? labels : null;
        Slice targets = sparseLabels ? null : labels;
        try {
            ctx.launch(CudaKernel.SOFTMAX_FORWARD_XENT_ROWS, ctx.rowGrid(rows, true), BLOCK, 1, 0, ptr(x), ptr(w), k,
                    ptr(z), ptr(bias), ptr(y), ptr(classes), ptr(targets), rows, cols, ptr(probs), ptr(dlogits),
                    gradScale, ptr(stats), ctx.control);
            ctx.errorsPending |= sparseLabels;
        } catch (CudaException e) {
            throw ctx.fail("denseSoftmaxCrossEntropy", "rows=" + rows + ", k=" + k + ", cols=" + cols + ", sparse="
                    + sparseLabels, e);
        }
    }

    @Override
    public void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice classWeights,
                                    Slice rowWeights, Slice probs, Slice dlogits, float gradScale, Slice stats) {
        long total = (long) rows * cols;
        if (total == 0) {
            return;
        }
        ctx.launchMatrix("sigmoidCrossEntropy", rows, cols, CudaKernel.SIGMOID_XENT, ctx.statGrid(total), BLOCK, 1,
                ptr(logits), ptr(targets), (int) total, cols, 1f / cols, ptr(classWeights), ptr(rowWeights),
                ptr(probs), ptr(dlogits), gradScale / cols, ptr(stats), ctx.control);
    }

    @Override
    public void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                               Slice rowWeights, Slice dpred, float gradScale, Slice stats) {
        if (rows == 0) {
            return;
        }
        ctx.launchMatrix("regressionLoss", rows, cols, CudaKernel.REGRESSION_LOSS, ctx.rowGrid(rows, true), BLOCK,
                1, ptr(pred), ptr(targets), rows, cols, kind.code(), delta, ptr(rowWeights), ptr(dpred),
                gradScale / cols, ptr(stats), ctx.control);
    }
}
