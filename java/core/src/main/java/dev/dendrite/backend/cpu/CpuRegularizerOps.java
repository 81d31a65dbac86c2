package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.STAT_LOSS;
import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuParallel.GRAIN;
import static dev.dendrite.backend.cpu.CpuParallel.PARALLEL_MIN;
import static dev.dendrite.backend.cpu.CpuParallel.blocks;

import dev.dendrite.backend.RegularizerOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's l1/l2 regularizer gradient and penalty, and the weight constraints.
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

    @Override
    public void normConstraint(Slice w, int rows, int cols, int axis, float minValue, float maxValue, float rate) {
        CpuFloats ws = CpuFloats.of(w);
        float[] a = ws.array();
        int base = ws.at(0);
        if (axis == 1) {
            par.forRange(rows, Math.max(1, 2 * cols), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int o = base + r * cols;
                    double sq = 0;
                    for (int c = 0; c < cols; c++) {
                        double x = a[o + c];
                        sq += x * x;
                    }
                    float f = normFactor((float) Math.sqrt(sq), minValue, maxValue, rate);
                    for (int c = 0; c < cols; c++) {
                        a[o + c] *= f;
                    }
                }
            });
            return;
        }
        // Axis 0: each part of the columns walks the rows in order, so that every read is of consecutive elements;
        // a column-by-column walk would stride by a whole row. Each row goes through a tile at offset 0, so that C2
        // vectorises the loops (CpuLoops), and each column's sum is the GPU kernels' own: a float Kahan sum over the
        // rows in order.
        // One part per thread, of whole 16-column steps: short rows would spend the time in the copies' set-up.
        boolean split = par.split((long) rows * cols, CHEAP);
        int part = split ? Math.max(16, blocks(blocks(cols, par.threads()), 16) * 16) : cols;
        par.run(cols, part, split, (b, c0, c1) -> {
            int n = c1 - c0;
            float[] tile = new float[n];
            float[] sum = new float[n];
            float[] carry = new float[n];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(a, base + r * cols + c0, tile, 0, n);
                CpuLoops.kahanAddSquare(sum, carry, tile, 0, n);
            }
            float[] f = sum; // each sum is read once, into its factor
            for (int j = 0; j < n; j++) {
                f[j] = normFactor((float) Math.sqrt(sum[j]), minValue, maxValue, rate);
            }
            for (int r = 0; r < rows; r++) {
                int o = base + r * cols + c0;
                System.arraycopy(a, o, tile, 0, n);
                CpuLoops.multiply(tile, f, 0, n);
                System.arraycopy(tile, 0, a, o, n);
            }
        });
    }

    /**
     * What a vector of L2 norm {@code norm} is multiplied by: Keras's {@code desired / (epsilon + norm)}, with
     * {@code desired = rate * clip(norm, min, max) + (1 - rate) * norm}, in float. A NaN norm gives NaN, as Keras's
     * clip does (Math.min and max would too; kernels/common/constraints.h's comparisons are written to).
     */
    static float normFactor(float norm, float minValue, float maxValue, float rate) {
        float clipped = norm < minValue ? minValue : norm > maxValue ? maxValue : norm;
        float desired = rate * clipped + (1f - rate) * norm;
        return desired / (1e-7f + norm);
    }

    @Override
    public void nonNegConstraint(Slice w, int n) {
        CpuFloats ws = CpuFloats.of(w);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                if (ws.get(i) < 0f) { // NaN stays NaN, as Keras's maximum(w, 0) leaves it
                    ws.set(i, 0f);
                }
            }
        });
    }
}
