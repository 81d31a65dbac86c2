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
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats as = CpuFloats.of(accumulator);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                if (update) {
                    gs.set(i, (gs.get(i) + as.get(i)) / (float) steps);
                    as.set(i, 0f);
                } else {
                    as.set(i, as.get(i) + gs.get(i));
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
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats as = CpuFloats.of(average);
        double md = m;
        double rest = 1f - m; // formed in float, as the kernel does
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                // dendrite_dot2 is m * a + (1 - m) * p with one rounding: the double sum rounded once agrees.
                float a = (float) (md * as.get(i) + rest * ps.get(i));
                as.set(i, a);
                if (overwrite) {
                    ps.set(i, a);
                }
            }
        });
    }

    private static boolean isUpdateStep(int step, int steps) {
        return (step + 1) % steps == 0;
    }
}
