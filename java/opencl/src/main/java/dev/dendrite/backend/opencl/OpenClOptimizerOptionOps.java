package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.lr;
import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.OptimizerOptionOps;
import dev.dendrite.backend.Slice;

/**
 * The OpenCL backend's optimizer options (kernels/opencl/optimizer_options.cl).
 */
record OpenClOptimizerOptionOps(OpenClContext ctx) implements OptimizerOptionOps {
    private static final String FILE = "optimizer_options.cl";

    @Override
    public void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        ctx.runItems("learningRateSchedule", "kind=" + kind, 1, FILE, "lr_schedule", schedule, kind, step(counters),
                lr(hyper), lr(out));
    }

    @Override
    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        // At least one work-item: work-item 0 writes the optimizer's counters even when n is 0.
        ctx.runItems("accumulateGradients", "n=" + n + ", steps=" + steps, Math.max(n, 1), FILE,
                "accumulate_gradients", grads, accumulator, n, counters, steps, optimizerCounters);
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
