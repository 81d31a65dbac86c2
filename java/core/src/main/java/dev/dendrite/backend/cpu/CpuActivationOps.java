package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuParallel.STREAMING;
import static dev.dendrite.backend.cpu.CpuParallel.TILE;
import static dev.dendrite.backend.cpu.CpuParallel.TRANSCENDENTAL;
import static dev.dendrite.backend.cpu.CpuParallel.rowsPerTile;

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
        CpuFloats zs = CpuFloats.of(z);
        CpuFloats ys = CpuFloats.of(y);
        CpuFloats bs = CpuFloats.of(bias);
        int cost = activationCost(f);
        if (bs == null && f != ActivationFunction.SOFTMAX) {
            int n = (int) total;
            if (par.split(total, cost)) {
                par.forRange(n, Math.max(CHEAP, cost), (i0, i1) -> forwardRange(f, alpha, zs, ys, i0, i1));
            } else {
                forwardRange(f, alpha, zs, ys, 0, n);
            }
            return;
        }
        if (par.split(total, cost)) {
            par.forRows(rows, cols, Math.max(CHEAP, cost),
                    (r0, r1) -> biasForwardRows(f, alpha, zs, bs, ys, cols, r0, r1));
        } else {
            biasForwardRows(f, alpha, zs, bs, ys, cols, 0, rows);
        }
    }

    /** Elements {@code [i0, i1)} of {@code y = f(z)}: in place when the offsets agree, else through tiles. */
    private void forwardRange(ActivationFunction f, float alpha, CpuFloats zs, CpuFloats ys, int i0, int i1) {
        if (zs.offset() == ys.offset()) {
            CpuActivations.forward(f, alpha, zs.array(), ys.array(), zs.at(i0), zs.at(i1));
            return;
        }
        CpuParallel.Tiles t = par.tiles();
        float[] tz = t.get(0, TILE);
        float[] ty = t.get(1, TILE);
        for (int i = i0; i < i1; i += TILE) {
            int n = Math.min(TILE, i1 - i);
            zs.read(i, tz, n);
            CpuActivations.forward(f, alpha, tz, ty, 0, n);
            ys.write(i, ty, n);
        }
    }

    /**
     * Rows {@code [r0, r1)} of {@code z += bias; y = f(z)} (the bias may be null, for softmax), a group of
     * rows at a time through tiles, with the bias laid out once per call in a tile of the same shape.
     */
    private void biasForwardRows(ActivationFunction f, float alpha, CpuFloats zs, CpuFloats bs, CpuFloats ys,
                                 int cols, int r0, int r1) {
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
            System.arraycopy(bs.array(), bs.offset(), tb, k * cols, cols);
        }
        boolean linear = f == ActivationFunction.LINEAR;
        for (int r = r0; r < r1; r += group) {
            int nr = Math.min(group, r1 - r);
            int n = nr * cols;
            zs.read(r * cols, tz, n);
            if (tb != null) {
                CpuLoops.addTo(tz, tb, 0, n);
                zs.write(r * cols, tz, n);
            }
            if (f == ActivationFunction.SOFTMAX) {
                for (int k = 0; k < nr; k++) {
                    CpuActivations.softmaxRow(tz, k * cols, ty, k * cols, cols);
                }
            } else if (!linear) {
                CpuActivations.forward(f, alpha, tz, ty, 0, n);
            }
            if (!linear || !zs.sameStart(ys)) {
                ys.write(r * cols, linear ? tz : ty, n);
            }
        }
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                   ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        long total = (long) rows * cols;
        CpuFloats zs = CpuFloats.of(z);
        CpuFloats ys = CpuFloats.of(y);
        CpuFloats dys = CpuFloats.of(dy);
        CpuFloats dzs = CpuFloats.of(dz);
        if (f == ActivationFunction.SOFTMAX) {
            par.forRows(rows, cols, CHEAP, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int o = r * cols;
                    CpuActivations.softmaxBackwardRow(ys.array(), ys.at(o), dys.array(), dys.at(o), dzs.array(),
                            dzs.at(o), cols);
                }
            });
        } else {
            int n = (int) total;
            if (par.split(total, activationCost(f))) {
                par.forRange(n, Math.max(CHEAP, activationCost(f)),
                        (i0, i1) -> backwardRange(f, alpha, zs, dys, dzs, i0, i1));
            } else {
                backwardRange(f, alpha, zs, dys, dzs, 0, n);
            }
        }
        // The bias gradient in a second pass: summing dz while the element-wise loop writes it would need
        // the loop to run on tiles, which costs more (measured) than reading dz again from the cache.
        if (dbias != null) {
            reductions.columnSums(dz, rows, cols, dbias);
        }
    }

    /** Elements {@code [i0, i1)} of {@code dz = dy * f'(z)}: in place when the offsets agree, else through tiles. */
    private void backwardRange(ActivationFunction f, float alpha, CpuFloats zs, CpuFloats dys, CpuFloats dzs,
                               int i0, int i1) {
        int zo = zs.offset();
        if (zo == dys.offset() && zo == dzs.offset()) {
            CpuActivations.backward(f, alpha, zs.array(), dys.array(), dzs.array(), zo + i0, zo + i1);
            return;
        }
        CpuParallel.Tiles t = par.tiles();
        float[] tz = t.get(0, TILE);
        float[] td = t.get(1, TILE);
        for (int i = i0; i < i1; i += TILE) {
            int n = Math.min(TILE, i1 - i);
            zs.read(i, tz, n);
            dys.read(i, td, n);
            CpuActivations.backward(f, alpha, tz, td, td, 0, n);
            dzs.write(i, td, n);
        }
    }

    @Override
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats ys = CpuFloats.of(y);
        par.forRange(n, STREAMING, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                ys.set(i, CpuLayerActivations.relu(xs.get(i), negativeSlope, maxValue, threshold));
            }
        });
    }

    @Override
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats dys = CpuFloats.of(dy);
        CpuFloats dxs = CpuFloats.of(dx);
        par.forRange(n, STREAMING, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                dxs.set(i, dys.get(i)
                        * CpuLayerActivations.reluDerivative(xs.get(i), negativeSlope, maxValue, threshold));
            }
        });
    }

    @Override
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats as = CpuFloats.of(alpha);
        CpuFloats ys = CpuFloats.of(y);
        par.forRows(rows, cols, STREAMING, (r0, r1) -> {
            for (int i = r0 * cols; i < r1 * cols; i++) {
                ys.set(i, CpuLayerActivations.prelu(xs.get(i), as.get(i % cols)));
            }
        });
    }

    @Override
    public void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats as = CpuFloats.of(alpha);
        CpuFloats dys = CpuFloats.of(dy);
        CpuFloats dxs = CpuFloats.of(dx);
        CpuFloats das = CpuFloats.of(dalpha);
        // The alpha gradient first, in double over all rows: dx may overwrite dy.
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                int i = r * cols + c;
                sum += (double) dys.get(i) * Math.min(xs.get(i), 0f);
            }
            das.set(c, (float) sum);
        }
        if (dxs != null) {
            par.forRows(rows, cols, STREAMING, (r0, r1) -> {
                for (int i = r0 * cols; i < r1 * cols; i++) {
                    dxs.set(i, dys.get(i) * CpuLayerActivations.preluDerivative(xs.get(i), as.get(i % cols)));
                }
            });
        }
    }

    @Override
    public void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                              float offset, Slice y) {
        CpuFloats xs = CpuFloats.of(x);
        CpuFloats ms = CpuFloats.of(mean);
        CpuFloats vs = CpuFloats.of(variance);
        CpuFloats ys = CpuFloats.of(y);
        par.forRows(rows, cols, STREAMING, (r0, r1) -> {
            for (int i = r0 * cols; i < r1 * cols; i++) {
                int f = (i % cols) % period;
                ys.set(i, CpuLayerActivations.featureAffine(xs.get(i), ms == null ? 0f : ms.get(f),
                        vs == null ? 1f : vs.get(f), scale, offset));
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
