package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.GROUP;
import static dev.dendrite.backend.opencl.OpenClContext.lr;
import static dev.dendrite.backend.opencl.OpenClContext.powerOfTwoGroup;
import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.OptimizerOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's optimizer updates (kernels/opencl/optimizers.cl). Element-wise rules run one work-item per
 * parameter (grid-stride where a work-item has per-step set-up: Adam, Adamax, Nadam) through
 * {@link OpenClContext#runElements}; Lamb, Adafactor and clip-by-norm run one work-group per variable, since they
 * reduce over it.
 */
record OpenClOptimizerOps(OpenClContext ctx) implements OptimizerOps {
    private static final String FILE = "optimizers.cl";

    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                          float momentum, boolean nesterov) {
        if (n == 0) {
            return;
        }
        Slice advance = ctx.countersInUpdate.take(); // null but in a step's last update
        ctx.runElements("sgdUpdate", n, false, FILE, "sgd_update", params, grads, velocity, velocity != null, n,
                lr(hyper), momentum, nesterov, advance, advance != null, ctx.errors);
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        if (n == 0) {
            return;
        }
        Slice advance = ctx.countersInUpdate.take(); // null but in a step's last update
        ctx.runElements("adamUpdate", n, true, FILE, "adam_update", params, grads, m, v, vMax, vMax != null, n,
                lr(hyper), step(counters), beta1, beta2, eps, advance, advance != null, ctx.errors);
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        ctx.runElements("rmspropUpdate", n, false, FILE, "rmsprop_update", params, grads, ms, mom, mom != null, mg,
                mg != null, n, lr(hyper), rho, momentum, eps);
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        ctx.runElements("adagradUpdate", n, false, FILE, "adagrad_update", params, grads, accumulator, n, lr(hyper),
                eps);
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        ctx.runElements("adamaxUpdate", n, true, FILE, "adamax_update", params, grads, m, u, n, lr(hyper),
                step(counters), beta1, beta2, eps);
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        ctx.runElements("nadamUpdate", n, true, FILE, "nadam_update", params, grads, m, v, n, lr(hyper),
                step(counters), beta1, beta2, eps);
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        ctx.runElements("lionUpdate", n, false, FILE, "lion_update", params, grads, m, n, lr(hyper), beta1, beta2);
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        ctx.runElements("adadeltaUpdate", n, false, FILE, "adadelta_update", params, grads, accGrad, accDelta, n,
                lr(hyper), rho, eps);
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        ctx.runElements("ftrlUpdate", n, false, FILE, "ftrl_update", params, grads, accumulator, linear, n,
                lr(hyper), lrPower, l1, l2, l2Shrinkage, beta);
    }

    /** One work-group per variable (see lamb_update in optimizers.cl). */
    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "lamb_update");
            int local = powerOfTwoGroup(k, GROUP);
            ctx.withArgs(k, params, grads, m, v, n, lr(hyper), step(counters), beta1, beta2, eps)
                    .local(4L * local).local(4L * local);
            k.run(ctx.queue, local, local);
        } catch (CLException e) {
            throw ctx.clFailure("lambUpdate", "n=" + n, e);
        }
    }

    /** One work-group per variable (see adafactor_update in optimizers.cl). */
    @Override
    public void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                float clipThreshold) {
        if (rows == 0 || cols == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "adafactor_update");
            int local = powerOfTwoGroup(k, GROUP);
            ctx.withArgs(k, params, grads, accumulator, rows, cols, lr(hyper), step(counters), beta2Decay, epsilon1,
                    epsilon2, clipThreshold).local(4L * local).local(4L * local);
            k.run(ctx.queue, local, local);
        } catch (CLException e) {
            throw ctx.clFailure("adafactorUpdate", "rows=" + rows + " cols=" + cols, e);
        }
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        ctx.runElements("weightDecay", n, false, FILE, "weight_decay", params, n, lr(hyper), weightDecay);
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        ctx.runElements("clipByValue", n, false, FILE, "clip_by_value", grads, n, clipValue);
    }

    /** One work-group sums and scales (see clip_by_norm in optimizers.cl). */
    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "clip_by_norm");
            int local = powerOfTwoGroup(k, GROUP);
            ctx.withArgs(k, grads, n, clipNorm).local(4L * local);
            k.run(ctx.queue, local, local);
        } catch (CLException e) {
            throw ctx.clFailure("clipByNorm", "n=" + n, e);
        }
    }
}
