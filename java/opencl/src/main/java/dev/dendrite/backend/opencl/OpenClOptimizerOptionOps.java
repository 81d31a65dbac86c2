package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.lr;
import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.OptimizerOptionOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's optimizer options (kernels/opencl/optimizer_options.cl).
 */
record OpenClOptimizerOptionOps(OpenClContext ctx) implements OptimizerOptionOps {
    private static final String FILE = "optimizer_options.cl";

    @Override
    public void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "lr_schedule");
            ctx.run1(ctx.withArgs(k, schedule, kind, step(counters), lr(hyper), lr(out)), 1);
        } catch (CLException e) {
            throw ctx.clFailure("learningRateSchedule", "kind=" + kind, e);
        }
    }

    @Override
    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "accumulate_gradients");
            ctx.withArgs(k, grads, accumulator, n, counters, steps, optimizerCounters);
            ctx.run1(k, Math.max(n, 1)); // work-item 0 writes the optimizer's counters even when n is 0
        } catch (CLException e) {
            throw ctx.clFailure("accumulateGradients", "n=" + n + ", steps=" + steps, e);
        }
    }

    @Override
    public void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        ctx.runElements("restoreUnlessUpdateStep", n, false, FILE, "restore_unless_update", dst, backup, n,
                step(counters), steps);
    }

    @Override
    public void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                          int overwriteFrequency) {
        ctx.runElements("emaUpdate", n, false, FILE, "ema_update", params, average, n, step(counters),
                accumulationSteps, momentum, overwriteFrequency);
    }
}
