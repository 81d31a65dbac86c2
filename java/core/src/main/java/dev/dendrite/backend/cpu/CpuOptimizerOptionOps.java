package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_BATCH;
import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.Backend.HYPER_LR;
import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.OptimizerOptionOps;
import dev.dendrite.backend.ScheduleMath;
import dev.dendrite.backend.Slice;

/**
 * The CPU's optimizer options: learning-rate schedules ({@link ScheduleMath}), gradient accumulation and the
 * weights' moving average, element by element in float as {@code kernels/common/optimizer_options.h}.
 */
final class CpuOptimizerOptionOps implements OptimizerOptionOps {
    private final CpuParallel par;

    CpuOptimizerOptionOps(CpuParallel par) {
        this.par = par;
    }

    @Override
    public void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        float base = floats(hyper)[hyper.offset() + HYPER_LR];
        floats(out)[out.offset() + HYPER_LR] = ScheduleMath.learningRate(kind, floats(schedule), schedule.offset(),
                (float) step, base);
    }

    @Override
    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        int[] cs = ints(counters);
        int step = cs[counters.offset() + COUNTER_STEP];
        int[] oc = ints(optimizerCounters);
        oc[optimizerCounters.offset() + COUNTER_STEP] = step / steps;
        oc[optimizerCounters.offset() + COUNTER_BATCH] = cs[counters.offset() + COUNTER_BATCH];
        boolean update = isUpdateStep(step, steps);
        float[] gs = floats(grads);
        float[] as = floats(accumulator);
        int go = grads.offset();
        int ao = accumulator.offset();
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                if (update) {
                    gs[go + i] = (gs[go + i] + as[ao + i]) / (float) steps;
                    as[ao + i] = 0f;
                } else {
                    as[ao + i] = as[ao + i] + gs[go + i];
                }
            }
        });
    }

    @Override
    public void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        if (!isUpdateStep(ints(counters)[counters.offset() + COUNTER_STEP], steps)) {
            System.arraycopy(floats(backup), backup.offset(), floats(dst), dst.offset(), n);
        }
    }

    @Override
    public void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                          int overwriteFrequency) {
        int iteration = ints(counters)[counters.offset() + COUNTER_STEP] / accumulationSteps;
        float m = iteration == 0 ? 0f : momentum;
        boolean overwrite = overwriteFrequency > 0 && (iteration + 1) % overwriteFrequency == 0;
        float[] ps = floats(params);
        float[] as = floats(average);
        int po = params.offset();
        int ao = average.offset();
        double md = m;
        double rest = 1f - m; // formed in float, as the kernel does
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                // dendrite_dot2 is m * a + (1 - m) * p with one rounding: the double sum rounded once agrees.
                float a = (float) (md * as[ao + i] + rest * ps[po + i]);
                as[ao + i] = a;
                if (overwrite) {
                    ps[po + i] = a;
                }
            }
        });
    }

    private static boolean isUpdateStep(int step, int steps) {
        return (step + 1) % steps == 0;
    }
}
