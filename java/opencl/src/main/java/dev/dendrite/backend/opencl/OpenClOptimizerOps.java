package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.Backend.HYPER_LR;
import static dev.dendrite.backend.opencl.OpenClContext.GROUP;
import static dev.dendrite.backend.opencl.OpenClContext.offset;
import static dev.dendrite.backend.opencl.OpenClContext.powerOfTwoGroup;

import dev.dendrite.backend.OptimizerOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's optimizer updates (kernels/opencl/optimizers.cl).
 */
record OpenClOptimizerOps(OpenClContext ctx) implements OptimizerOps {
    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                          float momentum, boolean nesterov) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "sgd_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(velocity), offset(velocity)).i(velocity == null ? 0 : 1).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR).f(momentum).i(nesterov ? 1 : 0);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("sgdUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        String op = "adamUpdate";
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "adam_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset()).mem(ctx.mem(m),
                    m.offset())
                    .mem(ctx.mem(v), v.offset()).mem(ctx.mem(vMax), offset(vMax)).i(vMax == null ? 0 : 1).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR).mem(ctx.mem(counters),
                    counters.offset() + COUNTER_STEP)
                    .f(beta1).f(beta2).f(eps);
            ctx.runStrided(k, n);
        } catch (CLException e) {
            throw ctx.clFailure(op, "n=" + n, e);
        }
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        String op = "rmspropUpdate";
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "rmsprop_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset()).mem(ctx.mem(ms),
                    ms.offset())
                    .mem(ctx.mem(mom), offset(mom)).i(mom == null ? 0 : 1).mem(ctx.mem(mg), offset(mg))
                    .i(mg == null ? 0 : 1).i(n).mem(ctx.mem(hyper),
                    hyper.offset() + HYPER_LR).f(rho).f(momentum).f(eps);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure(op, "n=" + n, e);
        }
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "adagrad_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(accumulator), accumulator.offset()).i(n).mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .f(eps);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("adagradUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "adamax_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(m), m.offset()).mem(ctx.mem(u), u.offset()).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).f(beta1).f(beta2).f(eps);
            ctx.runStrided(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("adamaxUpdate", "n=" + n, e);
        }
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "nadam_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(m), m.offset()).mem(ctx.mem(v), v.offset()).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).f(beta1).f(beta2).f(eps);
            ctx.runStrided(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("nadamUpdate", "n=" + n, e);
        }
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "lion_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(m), m.offset()).i(n).mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .f(beta1).f(beta2);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("lionUpdate", "n=" + n, e);
        }
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "adadelta_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(accGrad), accGrad.offset()).mem(ctx.mem(accDelta), accDelta.offset()).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR).f(rho).f(eps);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("adadeltaUpdate", "n=" + n, e);
        }
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "ftrl_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(accumulator), accumulator.offset()).mem(ctx.mem(linear), linear.offset()).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR).f(lrPower).f(l1).f(l2).f(l2Shrinkage).f(beta);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("ftrlUpdate", "n=" + n, e);
        }
    }

    /** One work-group per variable (see lamb_update in optimizers.cl). */
    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "lamb_update");
            int local = powerOfTwoGroup(k, GROUP);
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(m), m.offset()).mem(ctx.mem(v), v.offset()).i(n)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).f(beta1).f(beta2).f(eps)
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
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "adafactor_update");
            int local = powerOfTwoGroup(k, GROUP);
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(grads), grads.offset())
                    .mem(ctx.mem(accumulator), accumulator.offset()).i(rows).i(cols)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).f(beta2Decay).f(epsilon1)
                    .f(epsilon2).f(clipThreshold).local(4L * local).local(4L * local);
            k.run(ctx.queue, local, local);
        } catch (CLException e) {
            throw ctx.clFailure("adafactorUpdate", "rows=" + rows + " cols=" + cols, e);
        }
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "weight_decay");
            k.args().mem(ctx.mem(params), params.offset()).i(n).mem(ctx.mem(hyper), hyper.offset() + HYPER_LR)
                    .f(weightDecay);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("weightDecay", "n=" + n, e);
        }
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "clip_by_value");
            k.args().mem(ctx.mem(grads), grads.offset()).i(n).f(clipValue);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("clipByValue", "n=" + n, e);
        }
    }

    /** One work-group sums and scales (see clip_by_norm in optimizers.cl). */
    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("optimizers.cl", "clip_by_norm");
            int local = powerOfTwoGroup(k, GROUP);
            k.args().mem(ctx.mem(grads), grads.offset()).i(n).f(clipNorm).local(4L * local);
            k.run(ctx.queue, local, local);
        } catch (CLException e) {
            throw ctx.clFailure("clipByNorm", "n=" + n, e);
        }
    }
}
