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
}
