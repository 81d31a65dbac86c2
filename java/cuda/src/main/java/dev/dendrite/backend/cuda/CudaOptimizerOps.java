package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.OptimizerOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's optimizer updates (kernels/cuda/optimizers.cu). Element-wise rules launch one thread per
 * parameter through {@link CudaContext#launchElements}; Lamb, Adafactor and clip-by-norm run one block per
 * variable, since they reduce over it.
 */
record CudaOptimizerOps(CudaContext ctx) implements OptimizerOps {
    /**
     * {@code -Ddendrite.cuda.vectorAdam=false}: Adam moves one element at a time everywhere instead of four with float4
     * loads where the buffers are aligned (the same bits; a switch for comparisons).
     */
    private static final int VECTOR_ADAM = "false".equalsIgnoreCase(System.getProperty("dendrite.cuda.vectorAdam"))
            ? 0 : 1;

    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                          float momentum, boolean nesterov) {
        if (n == 0) {
            return;
        }
        CUdeviceptr advance = ctx.takeCountersToAdvance(); // null but in a step's last update
        ctx.launchElements("sgdUpdate", n, CudaKernel.SGD_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(velocity), n, ptr(hyper), momentum, nesterov ? 1 : 0, advance, ctx.control);
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        if (n == 0) {
            return;
        }
        CUdeviceptr advance = ctx.takeCountersToAdvance(); // null but in a step's last update
        try {
            ctx.launch(CudaKernel.ADAM_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, ptr(params), ptr(grads), ptr(m),
                    ptr(v), ptr(vMax), n, ptr(hyper), ptr(counters), beta1, beta2, eps, VECTOR_ADAM, advance,
                    ctx.control);
        } catch (CudaException e) {
            throw ctx.fail("adamUpdate", "n=" + n + ", amsgrad=" + (vMax != null), e);
        }
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        ctx.launchElements("rmspropUpdate", n, CudaKernel.RMSPROP_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(ms), ptr(mom), ptr(mg), n, ptr(hyper), rho, momentum, eps);
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        ctx.launchElements("adagradUpdate", n, CudaKernel.ADAGRAD_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(accumulator), n, ptr(hyper), eps);
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        ctx.launchElements("adamaxUpdate", n, CudaKernel.ADAMAX_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(m), ptr(u), n, ptr(hyper), ptr(counters), beta1, beta2, eps);
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        ctx.launchElements("nadamUpdate", n, CudaKernel.NADAM_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(m), ptr(v), n, ptr(hyper), ptr(counters), beta1, beta2, eps);
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        ctx.launchElements("lionUpdate", n, CudaKernel.LION_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(m), n, ptr(hyper), beta1, beta2);
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        ctx.launchElements("adadeltaUpdate", n, CudaKernel.ADADELTA_UPDATE, ctx.elementGrid(n), ptr(params),
                ptr(grads), ptr(accGrad), ptr(accDelta), n, ptr(hyper), rho, eps);
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        ctx.launchElements("ftrlUpdate", n, CudaKernel.FTRL_UPDATE, ctx.elementGrid(n), ptr(params), ptr(grads),
                ptr(accumulator), ptr(linear), n, ptr(hyper), lrPower, l1, l2, l2Shrinkage, beta);
    }

    /** One block per variable (see lamb_update in optimizers.cu). */
    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        ctx.launchElements("lambUpdate", n, CudaKernel.LAMB_UPDATE, 1, ptr(params), ptr(grads), ptr(m), ptr(v), n,
                ptr(hyper), ptr(counters), beta1, beta2, eps);
    }

    /** One block per variable (see adafactor_update in optimizers.cu). */
    @Override
    public void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                float clipThreshold) {
        if (rows == 0 || cols == 0) {
            return;
        }
        ctx.launchMatrix("adafactorUpdate", rows, cols, CudaKernel.ADAFACTOR_UPDATE, 1, BLOCK, 1, ptr(params),
                ptr(grads), ptr(accumulator), rows, cols, ptr(hyper), ptr(counters), beta2Decay, epsilon1, epsilon2,
                clipThreshold);
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        ctx.launchElements("weightDecay", n, CudaKernel.WEIGHT_DECAY, ctx.elementGrid(n), ptr(params), n, ptr(hyper),
                weightDecay);
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        ctx.launchElements("clipByValue", n, CudaKernel.CLIP_BY_VALUE, ctx.elementGrid(n), ptr(grads), n, clipValue);
    }

    /** One block sums and scales (see clip_by_norm in optimizers.cu). */
    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        ctx.launchElements("clipByNorm", n, CudaKernel.CLIP_BY_NORM, 1, ptr(grads), n, clipNorm);
    }
}
