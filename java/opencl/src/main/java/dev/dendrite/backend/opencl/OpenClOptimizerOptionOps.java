package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.Backend.HYPER_LR;

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
            k.args().mem(ctx.mem(schedule), schedule.offset()).i(kind)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP)
                    .mem(ctx.mem(hyper), hyper.offset() + HYPER_LR).mem(ctx.mem(out), out.offset() + HYPER_LR);
            ctx.run1(k, 1);
        } catch (CLException e) {
            throw ctx.clFailure("learningRateSchedule", "kind=" + kind, e);
        }
    }

    @Override
    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "accumulate_gradients");
            k.args().mem(ctx.mem(grads), grads.offset()).mem(ctx.mem(accumulator), accumulator.offset()).i(n)
                    .mem(ctx.mem(counters), counters.offset()).i(steps)
                    .mem(ctx.mem(optimizerCounters), optimizerCounters.offset());
            ctx.run1(k, Math.max(n, 1)); // work-item 0 writes the optimizer's counters even when n is 0
        } catch (CLException e) {
            throw ctx.clFailure("accumulateGradients", "n=" + n + ", steps=" + steps, e);
        }
    }

    @Override
    public void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "restore_unless_update");
            k.args().mem(ctx.mem(dst), dst.offset()).mem(ctx.mem(backup), backup.offset()).i(n)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).i(steps);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("restoreUnlessUpdateStep", "n=" + n, e);
        }
    }

    @Override
    public void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                          int overwriteFrequency) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel(FILE, "ema_update");
            k.args().mem(ctx.mem(params), params.offset()).mem(ctx.mem(average), average.offset()).i(n)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).i(accumulationSteps).f(momentum)
                    .i(overwriteFrequency);
            ctx.run1(k, n);
        } catch (CLException e) {
            throw ctx.clFailure("emaUpdate", "n=" + n, e);
        }
    }
}
