package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;

import dev.dendrite.backend.BatchNormOps;
import dev.dendrite.backend.Slice;

import java.util.Arrays;

/**
 * The CPU's batch normalisation: training forward (with the running statistics), inference forward, backward.
 *
 * <p>The training passes' loops over rows run on whole vectors of columns read in place when the Vector API is
 * there ({@link CpuBatchNormVector}), else on row segments staged into tiles for C2's superword loops
 * ({@link CpuBatchNormStaged}); both compute the same floats. On bn256's 64 x 256 batches on the 2-vCPU Intel Xeon
 * (AVX-512, 2026-12-03) the vector loops took the training forward from 30-42 to 15-16 us a call and the backward
 * from 38-68 to 13-15 when called back to back, and inside profiled epochs, where the batch arrives from the other
 * core's cache, from 48-56 to 36-40 and from 49-51 to 36-37 (two alternating runs).
 *
 * @param loops the training passes' loops over rows: {@link CpuBatchNormVector} or {@link CpuBatchNormStaged}
 */
record CpuBatchNormOps(CpuParallel par, Loops loops) implements BatchNormOps {
    /**
     * The training passes' loops over the rows of the columns {@code [c0, c0 + w)} of a {@code rows x cols}
     * row-major matrix stored from {@code off}; the per-column arrays hold those columns from index 0. Sums are
     * Kahan sums in row order, into sum and carry arrays that arrive zeroed; {@link CpuLoops} has each formula.
     */
    interface Loops {
        /** {@code sum, carry}: the Kahan sums of x per column. */
        void sums(float[] x, int xOff, int rows, int cols, int c0, int w, float[] sum, float[] carry);

        /** The Kahan sums of {@code (x - mean)^2} per column. */
        void squaredDeviationSums(float[] x, int xOff, int rows, int cols, int c0, int w, float[] mean,
                                  float[] sum, float[] carry);

        /** {@code y = g (x - mean) inv + b}. */
        void normalize(float[] x, int xOff, float[] y, int yOff, int rows, int cols, int c0, int w, float[] mean,
                       float[] inv, float[] g, float[] b);

        /** The Kahan sums of {@code dy} and of {@code dy xhat}, {@code xhat = (x - mean) inv}. */
        void gradientSums(float[] x, int xOff, float[] dy, int dyOff, int rows, int cols, int c0, int w,
                          float[] mean, float[] inv, float[] sumDy, float[] carryDy, float[] sumDyXhat,
                          float[] carryDyXhat);

        /** {@code dx = g inv / n (n dy - sumDy - xhat sumDyXhat)}. */
        void inputGradient(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols,
                           int c0, int w, float[] mean, float[] inv, float[] g, float[] sumDy, float[] sumDyXhat,
                           float n);
    }

    private static final Loops VECTOR =
            CpuVectorKernels.load(Loops.class, "CpuBatchNormVector", "dendrite.batchnorm.scalar");

    CpuBatchNormOps(CpuParallel par) {
        this(par, VECTOR != null ? VECTOR : new CpuBatchNormStaged(par));
    }

    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar,
                                         Slice y, Slice saveMean, Slice saveInvStd) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats gs = CpuFloats.of(gamma);
        CpuFloats bs = CpuFloats.of(beta);
        CpuFloats rm = CpuFloats.of(runningMean);
        CpuFloats rv = CpuFloats.of(runningVar);
        CpuFloats ys = CpuFloats.of(y);
        CpuFloats sm = CpuFloats.of(saveMean);
        CpuFloats si = CpuFloats.of(saveInvStd);
        double keepRunning = momentum;
        double takeBatch = 1.0 - momentum;
        // Float loops over the rows (loops), as the GPUs compute it (kernels/opencl/batchnorm.cl): Kahan sums
        // for the mean and for the squared deviations (two passes, which do not cancel like E[x^2] - mean^2),
        // then y = g (x - mean) inv + b in the same order of operations. Each thread owns whole columns.
        par.forColumns(rows, cols, CHEAP, (c0, c1) -> {
            int w = c1 - c0;
            CpuParallel.Tiles t = par.tiles();
            float[] sum = t.zeroed(0, w);
            float[] carry = t.zeroed(1, w);
            float[] mean = t.get(3, w);
            float[] inv = t.get(4, w);
            float[] g = t.get(5, w);
            float[] b = t.get(6, w);
            loops.sums(xs.array(), xs.offset(), rows, cols, c0, w, sum, carry);
            for (int j = 0; j < w; j++) {
                mean[j] = sum[j] / rows;
            }
            Arrays.fill(sum, 0, w, 0f);
            Arrays.fill(carry, 0, w, 0f);
            loops.squaredDeviationSums(xs.array(), xs.offset(), rows, cols, c0, w, mean, sum, carry);
            for (int j = 0; j < w; j++) {
                int c = c0 + j;
                float var = sum[j] / rows;
                rm.set(c, (float) (keepRunning * rm.get(c) + takeBatch * mean[j]));
                rv.set(c, (float) (keepRunning * rv.get(c) + takeBatch * var));
                inv[j] = 1f / (float) Math.sqrt(var + eps);
                sm.set(c, mean[j]);
                si.set(c, inv[j]);
                g[j] = gs == null ? 1f : gs.get(c);
                b[j] = bs == null ? 0f : bs.get(c);
            }
            loops.normalize(xs.array(), xs.offset(), ys.array(), ys.offset(), rows, cols, c0, w, mean, inv, g, b);
        });
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats gs = CpuFloats.of(gamma);
        CpuFloats bs = CpuFloats.of(beta);
        CpuFloats rm = CpuFloats.of(runningMean);
        CpuFloats rv = CpuFloats.of(runningVar);
        CpuFloats ys = CpuFloats.of(y);
        double[] inv = par.scratch(cols);
        for (int c = 0; c < cols; c++) {
            inv[c] = 1.0 / Math.sqrt((double) rv.get(c) + eps);
        }
        par.forRows(rows, cols, CHEAP, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int rb = r * cols;
                for (int c = 0; c < cols; c++) {
                    double g = gs == null ? 1.0 : gs.get(c);
                    double b = bs == null ? 0.0 : bs.get(c);
                    ys.set(rb + c, (float) (g * ((double) xs.get(rb + c) - rm.get(c)) * inv[c] + b));
                }
            }
        });
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                  Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats dys = CpuFloats.of(dy);
        CpuFloats gs = CpuFloats.of(gamma);
        CpuFloats sm = CpuFloats.of(saveMean);
        CpuFloats si = CpuFloats.of(saveInvStd);
        CpuFloats dxs = CpuFloats.of(dx);
        CpuFloats dgs = CpuFloats.of(dgamma);
        CpuFloats dbs = CpuFloats.of(dbeta);
        float n = rows;
        // As the GPUs compute it (kernels/opencl/batchnorm.cl): Kahan sums of dy and dy * xhat per column, then
        // dx = g inv / N (N dy - sum dy - xhat sum(dy xhat)), the dyhat = g dy form with g factored out of both
        // sums, in float loops over the rows (loops). Each thread owns whole columns.
        par.forColumns(rows, cols, CHEAP, (c0, c1) -> {
            int w = c1 - c0;
            CpuParallel.Tiles t = par.tiles();
            float[] sumDy = t.zeroed(0, w);
            float[] carryDy = t.zeroed(1, w);
            float[] sumDyXhat = t.zeroed(2, w);
            float[] carryDyXhat = t.zeroed(3, w);
            float[] mean = t.get(6, w);
            float[] inv = t.get(7, w);
            float[] g = t.get(8, w);
            sm.read(c0, mean, w);
            si.read(c0, inv, w);
            loops.gradientSums(xs.array(), xs.offset(), dys.array(), dys.offset(), rows, cols, c0, w, mean, inv,
                    sumDy, carryDy, sumDyXhat, carryDyXhat);
            if (dxs != null) {
                for (int j = 0; j < w; j++) {
                    g[j] = gs == null ? 1f : gs.get(c0 + j);
                }
                loops.inputGradient(xs.array(), xs.offset(), dys.array(), dys.offset(), dxs.array(), dxs.offset(), rows,
                        cols, c0, w, mean, inv, g, sumDy, sumDyXhat, n);
            }
            if (dgs != null) {
                dgs.write(c0, sumDyXhat, w);
            }
            if (dbs != null) {
                dbs.write(c0, sumDy, w);
            }
        });
    }
}
