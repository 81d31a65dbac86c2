package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuSlices.floats;

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
        float[] xs = floats(x);
        float[] gs = floats(gamma);
        float[] bs = floats(beta);
        float[] ys = floats(y);
        float[] sm = floats(saveMean);
        float[] si = floats(saveInvStd);
        int xo = x.offset();
        int yo = y.offset();
        int go = gamma == null ? 0 : gamma.offset();
        int bo = beta == null ? 0 : beta.offset();
        int smo = saveMean.offset();
        int sio = saveInvStd.offset();
        par.forRows(rows, cols, CHEAP, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xb = xo + r * cols;
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += xs[xb + c];
                }
                double mean = sum / cols;
                double sq = 0;
                for (int c = 0; c < cols; c++) {
                    double d = xs[xb + c] - mean;
                    sq += d * d;
                }
                double inv = 1.0 / Math.sqrt(sq / cols + eps);
                sm[smo + r] = (float) mean;
                si[sio + r] = (float) inv;
                int yb = yo + r * cols;
                for (int c = 0; c < cols; c++) {
                    double g = gs == null ? 1.0 : gs[go + c];
                    double b = bs == null ? 0.0 : bs[bo + c];
                    ys[yb + c] = (float) (g * (xs[xb + c] - mean) * inv + b);
                }
            }
        });
    }

    @Override
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        float[] xs = floats(x);
        float[] dys = floats(dy);
        float[] gs = floats(gamma);
        float[] sm = floats(saveMean);
        float[] si = floats(saveInvStd);
        float[] dxs = floats(dx);
        float[] dgs = floats(dgamma);
        float[] dbs = floats(dbeta);
        int xo = x.offset();
        int dyo = dy.offset();
        int go = gamma == null ? 0 : gamma.offset();
        int smo = saveMean.offset();
        int sio = saveInvStd.offset();
        if (dxs != null) {
            int dxo = dx.offset();
            // dx = inv / n (n dyg - sum dyg - xhat sum(dyg xhat)), dyg = dy * gamma: kernels/common/layernorm.h.
            par.forRows(rows, cols, CHEAP, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int b = r * cols;
                    double mean = sm[smo + r];
                    double inv = si[sio + r];
                    double s1 = 0;
                    double s2 = 0;
                    for (int c = 0; c < cols; c++) {
                        double dyg = (double) dys[dyo + b + c] * (gs == null ? 1.0 : gs[go + c]);
                        s1 += dyg;
                        s2 += dyg * (xs[xo + b + c] - mean) * inv;
                    }
                    for (int c = 0; c < cols; c++) {
                        double dyg = (double) dys[dyo + b + c] * (gs == null ? 1.0 : gs[go + c]);
                        double xhat = (xs[xo + b + c] - mean) * inv;
                        dxs[dxo + b + c] = (float) (inv / cols * (cols * dyg - s1 - xhat * s2));
                    }
                }
            });
        }
        if (dgs == null && dbs == null) {
            return;
        }
        int dgo = dgamma == null ? 0 : dgamma.offset();
        int dbo = dbeta == null ? 0 : dbeta.offset();
        par.forColumns(rows, cols, CHEAP, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double sg = 0;
                double sb = 0;
                for (int r = 0; r < rows; r++) {
                    double g = dys[dyo + r * cols + c];
                    sb += g;
                    sg += g * ((xs[xo + r * cols + c] - (double) sm[smo + r]) * si[sio + r]);
                }
                if (dgs != null) {
                    dgs[dgo + c] = (float) sg;
                }
                if (dbs != null) {
                    dbs[dbo + c] = (float) sb;
                }
            }
        });
    }
}
