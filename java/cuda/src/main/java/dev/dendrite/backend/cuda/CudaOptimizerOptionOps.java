package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.Backend.HYPER_LR;
import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.OptimizerOptionOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's optimizer options (kernels/cuda/optimizer_options.cu).
 */
record CudaOptimizerOptionOps(CudaContext ctx) implements OptimizerOptionOps {
    @Override
    public void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        CUdeviceptr ps = ptr(schedule);
        CUdeviceptr pc = ptr(counters);
        CUdeviceptr ph = ptr(hyper.slice(HYPER_LR, 1));
        CUdeviceptr po = ptr(out.slice(HYPER_LR, 1));
        try {
            ctx.launch(CudaKernel.LR_SCHEDULE, 1, 32, 1, 0, ps, kind, pc, ph, po);
        } catch (CudaException e) {
            throw ctx.fail("learningRateSchedule", "kind=" + kind, e);
        }
    }

    @Override
    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        CUdeviceptr pg = ptr(grads);
        CUdeviceptr pa = ptr(accumulator);
        CUdeviceptr pc = ptr(counters);
        CUdeviceptr po = ptr(optimizerCounters);
        try {
            // At least one block: thread 0 writes the optimizer's counters even when n is 0.
            ctx.launch(CudaKernel.ACCUMULATE_GRADIENTS, Math.max(1, ctx.elementGrid(n)), BLOCK, 1, 0, pg, pa, n, pc,
                    steps, po);
        } catch (CudaException e) {
            throw ctx.fail("accumulateGradients", "n=" + n + ", steps=" + steps, e);
        }
    }

    @Override
    public void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        ctx.launchElements("restoreUnlessUpdateStep", n, CudaKernel.RESTORE_UNLESS_UPDATE, ctx.elementGrid(n), ptr(dst),
                ptr(backup), n, ptr(counters), steps);
    }

    @Override
    public void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                          int overwriteFrequency) {
        ctx.launchElements("emaUpdate", n, CudaKernel.EMA_UPDATE, ctx.elementGrid(n), ptr(params), ptr(average), n,
                ptr(counters), accumulationSteps, momentum, overwriteFrequency);
    }
}
