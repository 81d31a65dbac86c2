package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;

import dev.dendrite.backend.LayerNormOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's layer normalisation (the math of kernels/common/layernorm.h): the statistics of each row and the
 * backward pass's row sums in double, rounded once; the parameter gradients are column sums over the rows in
 * double, in row order whatever the split.
 */
record CpuLayerNormOps(CpuParallel par) implements LayerNormOps {
    @Override
    public void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                 Slice saveMean, Slice saveInvStd) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats gs = CpuFloats.of(gamma);
        CpuFloats bs = CpuFloats.of(beta);
        CpuFloats ys = CpuFloats.of(y);
        CpuFloats sm = CpuFloats.of(saveMean);
        CpuFloats si = CpuFloats.of(saveInvStd);
        par.forRows(rows, cols, CHEAP, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int rb = r * cols;
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += xs.get(rb + c);
                }
                double mean = sum / cols;
                double sq = 0;
                for (int c = 0; c < cols; c++) {
                    double d = xs.get(rb + c) - mean;
                    sq += d * d;
                }
                double inv = 1.0 / Math.sqrt(sq / cols + eps);
                sm.set(r, (float) mean);
                si.set(r, (float) inv);
                for (int c = 0; c < cols; c++) {
                    double g = gs == null ? 1.0 : gs.get(c);
                    double b = bs == null ? 0.0 : bs.get(c);
                    ys.set(rb + c, (float) (g * (xs.get(rb + c) - mean) * inv + b));
                }
            }
        });
    }

    @Override
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats dys = CpuFloats.of(dy);
        CpuFloats gs = CpuFloats.of(gamma);
        CpuFloats sm = CpuFloats.of(saveMean);
        CpuFloats si = CpuFloats.of(saveInvStd);
        CpuFloats dxs = CpuFloats.of(dx);
        CpuFloats dgs = CpuFloats.of(dgamma);
        CpuFloats dbs = CpuFloats.of(dbeta);
        if (dxs != null) {
            // dx = inv / n (n dyg - sum dyg - xhat sum(dyg xhat)), dyg = dy * gamma: kernels/common/layernorm.h.
            par.forRows(rows, cols, CHEAP, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int b = r * cols;
                    double mean = sm.get(r);
                    double inv = si.get(r);
                    double s1 = 0;
                    double s2 = 0;
                    for (int c = 0; c < cols; c++) {
                        double dyg = (double) dys.get(b + c) * (gs == null ? 1.0 : gs.get(c));
                        s1 += dyg;
                        s2 += dyg * (xs.get(b + c) - mean) * inv;
                    }
                    for (int c = 0; c < cols; c++) {
                        double dyg = (double) dys.get(b + c) * (gs == null ? 1.0 : gs.get(c));
                        double xhat = (xs.get(b + c) - mean) * inv;
                        dxs.set(b + c, (float) (inv / cols * (cols * dyg - s1 - xhat * s2)));
                    }
                }
            });
        }
        if (dgs == null && dbs == null) {
            return;
        }
        par.forColumns(rows, cols, CHEAP, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double sg = 0;
                double sb = 0;
                for (int r = 0; r < rows; r++) {
                    double g = dys.get(r * cols + c);
                    sb += g;
                    sg += g * ((xs.get(r * cols + c) - (double) sm.get(r)) * si.get(r));
                }
                if (dgs != null) {
                    dgs.set(c, (float) sg);
                }
                if (dbs != null) {
                    dbs.set(c, (float) sb);
                }
            }
        });
    }
}
