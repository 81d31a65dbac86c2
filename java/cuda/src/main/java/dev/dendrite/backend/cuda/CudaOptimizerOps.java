package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.OptimizerOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's optimizer updates (kernels/cuda/optimizers.cu).
 */
record CudaOptimizerOps(CudaContext ctx) implements OptimizerOps {
    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                          float momentum, boolean nesterov) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pv = ptr(velocity);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.SGD_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pv, n, ph, momentum,
                    nesterov ? 1 : 0);
        } catch (CudaException e) {
            throw ctx.fail("sgdUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pm = ptr(m);
        CUdeviceptr pv = ptr(v);
        CUdeviceptr px = ptr(vMax);
        CUdeviceptr ph = ptr(hyper);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.ADAM_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pm, pv, px, n, ph, pc, beta1,
                    beta2,
                    eps);
        } catch (CudaException e) {
            throw ctx.fail("adamUpdate", "n=" + n + ", amsgrad=" + (vMax != null), e);
        }
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pms = ptr(ms);
        CUdeviceptr pmom = ptr(mom);
        CUdeviceptr pmg = ptr(mg);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.RMSPROP_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pms, pmom, pmg, n, ph, rho,
                    momentum, eps);
        } catch (CudaException e) {
            throw ctx.fail("rmspropUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pa = ptr(accumulator);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.ADAGRAD_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pa, n, ph, eps);
        } catch (CudaException e) {
            throw ctx.fail("adagradUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pm = ptr(m);
        CUdeviceptr pu = ptr(u);
        CUdeviceptr ph = ptr(hyper);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.ADAMAX_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pm, pu, n, ph, pc, beta1,
                    beta2, eps);
        } catch (CudaException e) {
            throw ctx.fail("adamaxUpdate", "n=" + n, e);
        }
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pm = ptr(m);
        CUdeviceptr pv = ptr(v);
        CUdeviceptr ph = ptr(hyper);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.NADAM_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pm, pv, n, ph, pc, beta1,
                    beta2, eps);
        } catch (CudaException e) {
            throw ctx.fail("nadamUpdate", "n=" + n, e);
        }
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pm = ptr(m);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.LION_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pm, n, ph, beta1, beta2);
        } catch (CudaException e) {
            throw ctx.fail("lionUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pag = ptr(accGrad);
        CUdeviceptr pad = ptr(accDelta);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.ADADELTA_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pag, pad, n, ph, rho, eps);
        } catch (CudaException e) {
            throw ctx.fail("adadeltaUpdate", "n=" + n, e);
        }
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pa = ptr(accumulator);
        CUdeviceptr pl = ptr(linear);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.FTRL_UPDATE, ctx.elementGrid(n), BLOCK, 1, 0, pp, pg, pa, pl, n, ph, lrPower, l1, l2,
                    l2Shrinkage, beta);
        } catch (CudaException e) {
            throw ctx.fail("ftrlUpdate", "n=" + n, e);
        }
    }

    /** One block per variable (see lamb_update in optimizers.cu). */
    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pm = ptr(m);
        CUdeviceptr pv = ptr(v);
        CUdeviceptr ph = ptr(hyper);
        CUdeviceptr pc = ptr(counters);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.LAMB_UPDATE, 1, BLOCK, 1, 0, pp, pg, pm, pv, n, ph, pc, beta1, beta2, eps);
        } catch (CudaException e) {
            throw ctx.fail("lambUpdate", "n=" + n, e);
        }
    }

    /** One block per variable (see adafactor_update in optimizers.cu). */
    @Override
    public void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                float clipThreshold) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pa = ptr(accumulator);
        CUdeviceptr ph = ptr(hyper);
        CUdeviceptr pc = ptr(counters);
        if (rows == 0 || cols == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.ADAFACTOR_UPDATE, 1, BLOCK, 1, 0, pp, pg, pa, rows, cols, ph, pc, beta2Decay,
                    epsilon1, epsilon2, clipThreshold);
        } catch (CudaException e) {
            throw ctx.fail("adafactorUpdate", "rows=" + rows + " cols=" + cols, e);
        }
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        CUdeviceptr pp = ptr(params);
        CUdeviceptr ph = ptr(hyper);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.WEIGHT_DECAY, ctx.elementGrid(n), BLOCK, 1, 0, pp, n, ph, weightDecay);
        } catch (CudaException e) {
            throw ctx.fail("weightDecay", "n=" + n, e);
        }
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        CUdeviceptr pg = ptr(grads);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.CLIP_BY_VALUE, ctx.elementGrid(n), BLOCK, 1, 0, pg, n, clipValue);
        } catch (CudaException e) {
            throw ctx.fail("clipByValue", "n=" + n, e);
        }
    }

    /** One block sums and scales (see clip_by_norm in optimizers.cu). */
    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        CUdeviceptr pg = ptr(grads);
        if (n == 0) {
            return;
        }
        try {
            ctx.launch(CudaKernel.CLIP_BY_NORM, 1, BLOCK, 1, 0, pg, n, clipNorm);
        } catch (CudaException e) {
            throw ctx.fail("clipByNorm", "n=" + n, e);
        }
    }
}
