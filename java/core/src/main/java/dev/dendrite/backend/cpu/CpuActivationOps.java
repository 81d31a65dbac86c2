package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuParallel.STREAMING;
import static dev.dendrite.backend.cpu.CpuParallel.TILE;
import static dev.dendrite.backend.cpu.CpuParallel.TRANSCENDENTAL;
import static dev.dendrite.backend.cpu.CpuParallel.rowsPerTile;
import static dev.dendrite.backend.cpu.CpuSlices.floats;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.ActivationOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's activation passes over matrices: bias + activation forward, activation backward (with the bias
 * gradient). The element math is {@link CpuActivations}'.
 */
record CpuActivationOps(CpuParallel par, CpuReductionOps reductions) implements ActivationOps {
    @Override
    public void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                                      ActivationFunction f, float alpha, Slice y) {
        long total = (long) rows * cols;
        float[] zs = floats(z);
        float[] ys = floats(y);
        float[] bs = floats(bias);
        int zo = z.offset();
        int yo = y.offset();
        int bo = bias == null ? 0 : bias.offset();
        int cost = activationCost(f);
        if (bs == null && f != ActivationFunction.SOFTMAX) {
            int n = (int) total;
            if (par.split(total, cost)) {
                par.forRange(n, Math.max(CHEAP, cost), (i0, i1) -> forwardRange(f, alpha, zs, zo, ys, yo, i0, i1));
            } else {
                forwardRange(f, alpha, zs, zo, ys, yo, 0, n);
            }
            return;
        }
        if (par.split(total, cost)) {
            par.forRows(rows, cols, Math.max(CHEAP, cost),
                    (r0, r1) -> biasForwardRows(f, alpha, zs, zo, bs, bo, ys, yo, cols, r0, r1));
        } else {
            biasForwardRows(f, alpha, zs, zo, bs, bo, ys, yo, cols, 0, rows);
        }
    }

    /** Elements {@code [i0, i1)} of {@code y = f(z)}: in place when the offsets agree, else through tiles. */
    private void forwardRange(ActivationFunction f, float alpha, float[] zs, int zo, float[] ys, int yo,
                              int i0, int i1) {
        if (zo == yo) {
            CpuActivations.forward(f, alpha, zs, ys, zo + i0, zo + i1);
            return;
        }
        CpuParallel.Tiles t = par.tiles();
        float[] tz = t.get(0, TILE);
        float[] ty = t.get(1, TILE);
        for (int i = i0; i < i1; i += TILE) {
            int n = Math.min(TILE, i1 - i);
            System.arraycopy(zs, zo + i, tz, 0, n);
            CpuActivations.forward(f, alpha, tz, ty, 0, n);
            System.arraycopy(ty, 0, ys, yo + i, n);
        }
    }

    /**
     * Rows {@code [r0, r1)} of {@code z += bias; y = f(z)} (the bias may be null, for softmax), a group of
     * rows at a time through tiles, with the bias laid out once per call in a tile of the same shape.
     */
    private void biasForwardRows(ActivationFunction f, float alpha, float[] zs, int zo, float[] bs, int bo,
                                 float[] ys, int yo, int cols, int r0, int r1) {
        if (cols == 0) {
            return;
        }
        int group = rowsPerTile(cols);
        int len = group * cols;
        CpuParallel.Tiles t = par.tiles();
        float[] tz = t.get(0, len);
        float[] ty = t.get(1, len);
        float[] tb = bs == null ? null : t.get(2, len);
        for (int k = 0; tb != null && k < group; k++) {
            System.arraycopy(bs, bo, tb, k * cols, cols);
        }
        boolean linear = f == ActivationFunction.LINEAR;
        for (int r = r0; r < r1; r += group) {
            int nr = Math.min(group, r1 - r);
            int n = nr * cols;
            System.arraycopy(zs, zo + r * cols, tz, 0, n);
            if (tb != null) {
                CpuLoops.addTo(tz, tb, 0, n);
                System.arraycopy(tz, 0, zs, zo + r * cols, n);
            }
            if (f == ActivationFunction.SOFTMAX) {
                for (int k = 0; k < nr; k++) {
                    CpuActivations.softmaxRow(tz, k * cols, ty, k * cols, cols);
                }
            } else if (!linear) {
                CpuActivations.forward(f, alpha, tz, ty, 0, n);
            }
            if (!linear || zs != ys || zo != yo) {
                System.arraycopy(linear ? tz : ty, 0, ys, yo + r * cols, n);
            }
        }
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        long total = (long) rows * cols;
        float[] zs = floats(z);
        float[] ys = floats(y);
        float[] dys = floats(dy);
        float[] dzs = floats(dz);
        float[] dbs = floats(dbias);
        int zo = z.offset();
        int yo = y.offset();
        int dyo = dy.offset();
        int dzo = dz.offset();
        if (f == ActivationFunction.SOFTMAX) {
            par.forRows(rows, cols, CHEAP, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int o = r * cols;
                    CpuActivations.softmaxBackwardRow(ys, yo + o, dys, dyo + o, dzs, dzo + o, cols);
                }
            });
            if (dbs != null) {
                reductions.columnSumsInto(dzs, dzo, rows, cols, dbs, dbias.offset());
            }
        } else {
            int n = (int) total;
            if (par.split(total, activationCost(f))) {
                par.forRange(n, Math.max(CHEAP, activationCost(f)),
                        (i0, i1) -> backwardRange(f, alpha, zs, zo, dys, dyo, dzs, dzo, i0, i1));
            } else {
                backwardRange(f, alpha, zs, zo, dys, dyo, dzs, dzo, 0, n);
            }
            // The bias gradient in a second pass: summing dz while the element-wise loop writes it would need
            // the loop to run on tiles, which costs more (measured) than reading dz again from the cache.
            if (dbs != null) {
                reductions.columnSumsInto(dzs, dzo, rows, cols, dbs, dbias.offset());
            }
        }
    }

    /** Elements {@code [i0, i1)} of {@code dz = dy * f'(z)}: in place when the offsets agree, else through tiles. */
    private void backwardRange(ActivationFunction f, float alpha, float[] zs, int zo, float[] dys, int dyo,
                               float[] dzs, int dzo, int i0, int i1) {
        if (zo == dyo && zo == dzo) {
            CpuActivations.backward(f, alpha, zs, dys, dzs, zo + i0, zo + i1);
            return;
        }
        CpuParallel.Tiles t = par.tiles();
        float[] tz = t.get(0, TILE);
        float[] td = t.get(1, TILE);
        for (int i = i0; i < i1; i += TILE) {
            int n = Math.min(TILE, i1 - i);
            System.arraycopy(zs, zo + i, tz, 0, n);
            System.arraycopy(dys, dyo + i, td, 0, n);
            CpuActivations.backward(f, alpha, tz, td, td, 0, n);
            System.arraycopy(td, 0, dzs, dzo + i, n);
        }
    }

    @Override
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        float[] xs = floats(x);
        float[] ys = floats(y);
        int xo = x.offset();
        int yo = y.offset();
        par.forRange(n, STREAMING, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                ys[yo + i] = CpuLayerActivations.relu(xs[xo + i], negativeSlope, maxValue, threshold);
            }
        });
    }

    @Override
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        float[] xs = floats(x);
        float[] dys = floats(dy);
        float[] dxs = floats(dx);
        int xo = x.offset();
        int dyo = dy.offset();
        int dxo = dx.offset();
        par.forRange(n, STREAMING, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                dxs[dxo + i] = dys[dyo + i]
                        * CpuLayerActivations.reluDerivative(xs[xo + i], negativeSlope, maxValue, threshold);
            }
        });
    }

    @Override
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        float[] xs = floats(x);
        float[] as = floats(alpha);
        float[] ys = floats(y);
        int xo = x.offset();
        int ao = alpha.offset();
        int yo = y.offset();
        par.forRows(rows, cols, STREAMING, (r0, r1) -> {
            for (int i = r0 * cols; i < r1 * cols; i++) {
                ys[yo + i] = CpuLayerActivations.prelu(xs[xo + i], as[ao + i % cols]);
            }
        });
    }

    @Override
    public void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        float[] xs = floats(x);
        float[] as = floats(alpha);
        float[] dys = floats(dy);
        float[] dxs = floats(dx);
        float[] das = floats(dalpha);
        int xo = x.offset();
        int ao = alpha.offset();
        int dyo = dy.offset();
        int dxo = dx == null ? 0 : dx.offset();
        int dao = dalpha.offset();
        // The alpha gradient first, in double over all rows: dx may overwrite dy.
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                int i = r * cols + c;
                sum += (double) dys[dyo + i] * Math.min(xs[xo + i], 0f);
            }
            das[dao + c] = (float) sum;
        }
        if (dxs != null) {
            par.forRows(rows, cols, STREAMING, (r0, r1) -> {
                for (int i = r0 * cols; i < r1 * cols; i++) {
                    dxs[dxo + i] = dys[dyo + i] * CpuLayerActivations.preluDerivative(xs[xo + i], as[ao + i % cols]);
                }
            });
        }
    }

    @Override
    public void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                              float offset, Slice y) {
        float[] xs = floats(x);
        float[] ms = floats(mean);
        float[] vs = floats(variance);
        float[] ys = floats(y);
        int xo = x.offset();
        int mo = mean == null ? 0 : mean.offset();
        int vo = variance == null ? 0 : variance.offset();
        int yo = y.offset();
        par.forRows(rows, cols, STREAMING, (r0, r1) -> {
            for (int i = r0 * cols; i < r1 * cols; i++) {
                int f = (i % cols) % period;
                ys[yo + i] = CpuLayerActivations.featureAffine(xs[xo + i], ms == null ? 0f : ms[mo + f],
                        vs == null ? 1f : vs[vo + f], scale, offset);
            }
        });
    }

    /** Per-element cost of an activation: the vectorised ones, or a transcendental function per element. */
    private static int activationCost(ActivationFunction f) {
        switch (f) {
            case LINEAR:
            case RELU:
            case LEAKY_RELU:
                return STREAMING;
            default:
                return TRANSCENDENTAL;
        }
    }
}
