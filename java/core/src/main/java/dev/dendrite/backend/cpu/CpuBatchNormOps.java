package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuSlices.floats;

import dev.dendrite.backend.BatchNormOps;
import dev.dendrite.backend.Slice;

import java.util.Arrays;

/**
 * The CPU's batch normalisation: training forward (with the running statistics), inference forward, backward.
 */
record CpuBatchNormOps(CpuParallel par) implements BatchNormOps {
    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar,
                                         Slice y, Slice saveMean, Slice saveInvStd) {
        float[] xs = floats(x);
        float[] gs = floats(gamma);
        float[] bs = floats(beta);
        float[] rm = floats(runningMean);
        float[] rv = floats(runningVar);
        float[] ys = floats(y);
        float[] sm = floats(saveMean);
        float[] si = floats(saveInvStd);
        int xo = x.offset();
        int yo = y.offset();
        int go = gamma == null ? 0 : gamma.offset();
        int bo = beta == null ? 0 : beta.offset();
        int rmo = runningMean.offset();
        int rvo = runningVar.offset();
        int smo = saveMean.offset();
        int sio = saveInvStd.offset();
        double keepRunning = momentum;
        double takeBatch = 1.0 - momentum;
        // Float loops over staged row segments, as the GPUs compute it (kernels/opencl/batchnorm.cl): Kahan sums
        // for the mean and for the squared deviations (two passes, which do not cancel like E[x^2] - mean^2),
        // then y = g (x - mean) inv + b in the same order of operations. Each thread owns whole columns.
        par.forColumns(rows, cols, CHEAP, (c0, c1) -> {
            int w = c1 - c0;
            CpuParallel.Tiles t = par.tiles();
            float[] sum = t.get(0, w);
            float[] carry = t.get(1, w);
            float[] row = t.get(2, w);
            float[] mean = t.get(3, w);
            float[] inv = t.get(4, w);
            float[] g = t.get(5, w);
            float[] b = t.get(6, w);
            Arrays.fill(sum, 0, w, 0f);
            Arrays.fill(carry, 0, w, 0f);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(xs, xo + r * cols + c0, row, 0, w);
                CpuLoops.kahanAdd(sum, carry, row, 0, w);
            }
            for (int j = 0; j < w; j++) {
                mean[j] = sum[j] / rows;
            }
            Arrays.fill(sum, 0, w, 0f);
            Arrays.fill(carry, 0, w, 0f);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(xs, xo + r * cols + c0, row, 0, w);
                CpuLoops.kahanAddSquaredDeviation(sum, carry, row, mean, 0, w);
            }
            for (int j = 0; j < w; j++) {
                int c = c0 + j;
                float var = sum[j] / rows;
                rm[rmo + c] = (float) (keepRunning * rm[rmo + c] + takeBatch * mean[j]);
                rv[rvo + c] = (float) (keepRunning * rv[rvo + c] + takeBatch * var);
                inv[j] = 1f / (float) Math.sqrt(var + eps);
                sm[smo + c] = mean[j];
                si[sio + c] = inv[j];
                g[j] = gs == null ? 1f : gs[go + c];
                b[j] = bs == null ? 0f : bs[bo + c];
            }
            for (int r = 0; r < rows; r++) {
                System.arraycopy(xs, xo + r * cols + c0, row, 0, w);
                CpuLoops.batchNormalize(row, mean, inv, g, b, 0, w);
                System.arraycopy(row, 0, ys, yo + r * cols + c0, w);
            }
        });
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        float[] xs = floats(x);
        float[] gs = floats(gamma);
        float[] bs = floats(beta);
        float[] rm = floats(runningMean);
        float[] rv = floats(runningVar);
        float[] ys = floats(y);
        int xo = x.offset();
        int yo = y.offset();
        int go = gamma == null ? 0 : gamma.offset();
        int bo = beta == null ? 0 : beta.offset();
        int rmo = runningMean.offset();
        double[] inv = par.scratch(cols);
        for (int c = 0; c < cols; c++) {
            inv[c] = 1.0 / Math.sqrt((double) rv[runningVar.offset() + c] + eps);
        }
        par.forRows(rows, cols, CHEAP, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xb = xo + r * cols;
                int yb = yo + r * cols;
                for (int c = 0; c < cols; c++) {
                    double g = gs == null ? 1.0 : gs[go + c];
                    double b = bs == null ? 0.0 : bs[bo + c];
                    ys[yb + c] = (float) (g * ((double) xs[xb + c] - rm[rmo + c]) * inv[c] + b);
                }
            }
        });
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                  Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
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
        int dxo = dx == null ? 0 : dx.offset();
        int dgo = dgamma == null ? 0 : dgamma.offset();
        int dbo = dbeta == null ? 0 : dbeta.offset();
        float n = rows;
        // As the GPUs compute it (kernels/opencl/batchnorm.cl): Kahan sums of dy and dy * xhat per column, then
        // dx = g inv / N (N dy - sum dy - xhat sum(dy xhat)), the dyhat = g dy form with g factored out of both
        // sums, in float over staged row segments. Each thread owns whole columns.
        par.forColumns(rows, cols, CHEAP, (c0, c1) -> {
            int w = c1 - c0;
            CpuParallel.Tiles t = par.tiles();
            float[] sumDy = t.get(0, w);
            float[] carryDy = t.get(1, w);
            float[] sumDyXhat = t.get(2, w);
            float[] carryDyXhat = t.get(3, w);
            float[] xRow = t.get(4, w);
            float[] dyRow = t.get(5, w);
            float[] mean = t.get(6, w);
            float[] inv = t.get(7, w);
            float[] g = t.get(8, w);
            Arrays.fill(sumDy, 0, w, 0f);
            Arrays.fill(carryDy, 0, w, 0f);
            Arrays.fill(sumDyXhat, 0, w, 0f);
            Arrays.fill(carryDyXhat, 0, w, 0f);
            System.arraycopy(sm, smo + c0, mean, 0, w);
            System.arraycopy(si, sio + c0, inv, 0, w);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(xs, xo + r * cols + c0, xRow, 0, w);
                System.arraycopy(dys, dyo + r * cols + c0, dyRow, 0, w);
                CpuLoops.batchNormGradientSums(sumDy, carryDy, sumDyXhat, carryDyXhat, xRow, dyRow, mean, inv, 0, w);
            }
            if (dxs != null) {
                for (int j = 0; j < w; j++) {
                    g[j] = gs == null ? 1f : gs[go + c0 + j];
                }
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(xs, xo + r * cols + c0, xRow, 0, w);
                    System.arraycopy(dys, dyo + r * cols + c0, dyRow, 0, w);
                    CpuLoops.batchNormInputGradient(xRow, dyRow, mean, inv, g, sumDy, sumDyXhat, n, 0, w);
                    System.arraycopy(dyRow, 0, dxs, dxo + r * cols + c0, w);
                }
            }
            if (dgs != null) {
                System.arraycopy(sumDyXhat, 0, dgs, dgo + c0, w);
            }
            if (dbs != null) {
                System.arraycopy(sumDy, 0, dbs, dbo + c0, w);
            }
        });
    }
}
