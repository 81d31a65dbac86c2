package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.Backend.HYPER_LR;
import static dev.dendrite.backend.opencl.OpenClContext.offset;

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
}
