package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.STAT_LOSS;
import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuParallel.GRAIN;
import static dev.dendrite.backend.cpu.CpuParallel.PARALLEL_MIN;
import static dev.dendrite.backend.cpu.CpuParallel.blocks;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's l1/l2 regularizer gradient and penalty.
 */
record CpuRegularizerOps(CpuParallel par) implements RegularizerOps {
    @Override
    public void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        CpuFloats ws = CpuFloats.of(w);
        CpuFloats gs = CpuFloats.of(grad);
        double twoL2 = 2.0 * l2;
        if (l1 == 0f && ws.offset() == gs.offset()) {
            // Plain L2 on aligned slices (the engine's flat buffers): a vectorised fma. 2 * l2 is exact in float.
            float twoL2f = 2f * l2;
            par.forStreaming(n, (i0, i1) -> CpuLoops.addL2Gradient(ws.array(), gs.array(), ws.at(i0), ws.at(i1),
                    twoL2f));
            return;
        }
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float x = ws.get(i);
                gs.set(i, (float) (gs.get(i) + l1 * (double) Math.signum(x) + twoL2 * x));
            }
        });
    }

    @Override
    public void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        CpuFloats ws = CpuFloats.of(w);
        int nb = blocks(n, GRAIN);
        double[] part = par.scratch(2L * nb);
        par.run(n, GRAIN, n >= PARALLEL_MIN, (b, i0, i1) -> {
            double abs = 0;
            double sq = 0;
            for (int i = i0; i < i1; i++) {
                double x = ws.get(i);
                abs += Math.abs(x);
                sq += x * x;
            }
            part[2 * b] = abs;
            part[2 * b + 1] = sq;
        });
        double abs = 0;
        double sq = 0;
        for (int b = 0; b < nb; b++) {
            abs += part[2 * b];
            sq += part[2 * b + 1];
        }
        CpuFloats st = CpuFloats.of(stats);
        st.set(STAT_LOSS, (float) (st.get(STAT_LOSS) + (double) scale * ((double) l1 * abs + (double) l2 * sq)));
    }
}
