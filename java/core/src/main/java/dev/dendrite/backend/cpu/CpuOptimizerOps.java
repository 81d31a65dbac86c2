package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.Backend.HYPER_LR;
import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuParallel.TILE;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.OptimizerOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's optimizer updates over flat parameter buffers: SGD, Adam (AMSGrad), RMSprop, Adagrad, Adamax, Nadam,
 * Lion, Adadelta, Ftrl, Lamb, Adafactor; and the gradient options every optimizer has (weight decay, clipping by
 * value and by norm).
 */
final class CpuOptimizerOps implements OptimizerOps {
    private final CpuParallel par;
    /** Reused by every {@link #adamUpdate}. */
    private final AdamStep adamStep = new AdamStep();

    CpuOptimizerOps(CpuParallel par) {
        this.par = par;
    }

    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                          float momentum, boolean nesterov) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] vs = floats(velocity);
        double lr = learningRate(hyper);
        int po = params.offset();
        int go = grads.offset();
        int vo = velocity == null ? 0 : velocity.offset();
        if (po == go && (vs == null || po == vo)) {
            // The engine's case (whole flat buffers): the float loops C2 vectorises, as accurate as the GPUs'.
            float lrf = (float) lr;
            par.forStreaming(n, vs == null
                    ? (i0, i1) -> CpuLoops.sgd(ps, gs, po + i0, po + i1, lrf)
                    : (i0, i1) -> CpuLoops.sgdMomentum(ps, gs, vs, po + i0, po + i1, lrf, momentum, nesterov));
            return;
        }
        par.forRange(n, CHEAP, (i0, i1) -> {
            if (vs == null) {
                for (int i = i0; i < i1; i++) {
                    ps[po + i] = (float) (ps[po + i] - lr * gs[go + i]);
                }
                return;
            }
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                float v = (float) (momentum * (double) vs[vo + i] - lr * g);
                vs[vo + i] = v;
                double step = nesterov ? momentum * (double) v - lr * g : v;
                ps[po + i] = (float) (ps[po + i] + step);
            }
        });
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] ms = floats(m);
        float[] vs = floats(v);
        float[] xs = floats(vMax);
        double lr = learningRate(hyper);
        int t = ints(counters)[counters.offset() + COUNTER_STEP] + 1;
        double lrT = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        AdamStep step = adamStep;
        step.set(ps, params.offset(), gs, grads.offset(), ms, m.offset(), vs, v.offset(), xs,
                vMax == null ? 0 : vMax.offset(), (float) lrT, beta1, beta2, eps);
        try {
            par.forStreaming(n, step::run);
        } finally {
            step.set(null, 0, null, 0, null, 0, null, 0, null, 0, 0f, 0f, 0f, 0f); // hold no arrays
        }
    }

    /**
     * One Adam update's arguments, run over element ranges by {@link CpuLoops#adam}. The backend keeps one and
     * refills it per call (ops run one at a time), so an update allocates nothing.
     */
    private final class AdamStep {
        private float[] ps;
        private int po;
        private float[] gs;
        private int go;
        private float[] ms;
        private int mo;
        private float[] vs;
        private int vo;
        private float[] xs;
        private int xo;
        private float lrT;
        private float beta1;
        private float b1cHi;
        private float b1cLo;
        private float beta2;
        private float b2c;
        private float eps;

        void set(float[] ps, int po, float[] gs, int go, float[] ms, int mo, float[] vs, int vo, float[] xs, int xo,
                 float lrT, float beta1, float beta2, float eps) {
            this.ps = ps;
            this.po = po;
            this.gs = gs;
            this.go = go;
            this.ms = ms;
            this.mo = mo;
            this.vs = vs;
            this.vo = vo;
            this.xs = xs;
            this.xo = xo;
            this.lrT = lrT;
            this.beta1 = beta1;
            double b1c = 1.0 - beta1; // 1 - beta1 to 48 bits: a float and the float remainder
            this.b1cHi = (float) b1c;
            this.b1cLo = (float) (b1c - b1cHi);
            this.beta2 = beta2;
            this.b2c = (float) (1.0 - beta2);
            this.eps = eps;
        }

        /** Elements {@code [i0, i1)}: in place when the five offsets agree, else through tiles. */
        void run(int i0, int i1) {
            if (po == go && po == mo && po == vo && (xs == null || po == xo)) {
                kernel(ps, gs, ms, vs, xs, po + i0, po + i1);
                return;
            }
            CpuParallel.Tiles t = par.tiles();
            float[] tp = t.get(0, TILE);
            float[] tg = t.get(1, TILE);
            float[] tm = t.get(2, TILE);
            float[] tv = t.get(3, TILE);
            float[] tx = xs == null ? null : t.get(4, TILE);
            for (int i = i0; i < i1; i += TILE) {
                int n = Math.min(TILE, i1 - i);
                System.arraycopy(ps, po + i, tp, 0, n);
                System.arraycopy(gs, go + i, tg, 0, n);
                System.arraycopy(ms, mo + i, tm, 0, n);
                System.arraycopy(vs, vo + i, tv, 0, n);
                if (tx != null) {
                    System.arraycopy(xs, xo + i, tx, 0, n);
                }
                kernel(tp, tg, tm, tv, tx, 0, n);
                System.arraycopy(tp, 0, ps, po + i, n);
                System.arraycopy(tm, 0, ms, mo + i, n);
                System.arraycopy(tv, 0, vs, vo + i, n);
                if (tx != null) {
                    System.arraycopy(tx, 0, xs, xo + i, n);
                }
            }
        }

        private void kernel(float[] p, float[] g, float[] mm, float[] vv, float[] x, int from, int to) {
            if (x == null) {
                CpuLoops.adam(p, g, mm, vv, from, to, lrT, beta1, b1cHi, b1cLo, beta2, b2c, eps);
            } else {
                CpuLoops.amsgrad(p, g, mm, vv, x, from, to, lrT, beta1, b1cHi, b1cLo, beta2, b2c, eps);
            }
        }
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] sq = floats(ms);
        float[] mo = floats(mom);
        float[] av = floats(mg);
        double lr = learningRate(hyper);
        int po = params.offset();
        int go = grads.offset();
        int so = ms.offset();
        int moo = mom == null ? 0 : mom.offset();
        int ao = mg == null ? 0 : mg.offset();
        double keep = rho;
        double take = 1.0 - rho;
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                float s = (float) (keep * sq[so + i] + take * g * g);
                sq[so + i] = s;
                double denom = s;
                if (av != null) {
                    float a = (float) (keep * av[ao + i] + take * g);
                    av[ao + i] = a;
                    denom = s - (double) a * a;
                }
                double inc = lr * g / Math.sqrt(denom + eps);
                if (mo != null) {
                    float vel = (float) (momentum * (double) mo[moo + i] + inc);
                    mo[moo + i] = vel;
                    ps[po + i] = ps[po + i] - vel;
                } else {
                    ps[po + i] = (float) (ps[po + i] - inc);
                }
            }
        });
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] as = floats(accumulator);
        double lr = learningRate(hyper);
        int po = params.offset();
        int go = grads.offset();
        int ao = accumulator.offset();
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                float a = (float) (as[ao + i] + g * g);
                as[ao + i] = a;
                ps[po + i] = (float) (ps[po + i] - lr * g / Math.sqrt((double) a + eps));
            }
        });
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] ms = floats(m);
        float[] us = floats(u);
        int po = params.offset();
        int go = grads.offset();
        int mo = m.offset();
        int uo = u.offset();
        double stepSize = learningRate(hyper) / (1 - Math.pow(beta1, step(counters)));
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                float mi = (float) (beta1 * (double) ms[mo + i] + (1.0 - beta1) * g);
                ms[mo + i] = mi;
                double decayed = beta2 * (double) us[uo + i];
                float ui = (float) (Math.abs(g) > decayed || Double.isNaN(g) ? Math.abs(g) : decayed);
                us[uo + i] = ui;
                ps[po + i] = (float) (ps[po + i] - stepSize * mi / ((double) ui + eps));
            }
        });
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] ms = floats(m);
        float[] vs = floats(v);
        int po = params.offset();
        int go = grads.offset();
        int mo = m.offset();
        int vo = v.offset();
        double lr = learningRate(hyper);
        int t = step(counters);
        // u_1 ... u_t; past k = 1000, 0.5 * 0.96^k is below double's resolution and the tail is beta1^(t - 1000).
        int head = Math.min(t, 1000);
        double product = 1;
        for (int k = 1; k <= head; k++) {
            product *= nadamU(beta1, k);
        }
        product *= Math.pow(beta1, t - head);
        double uNext = nadamU(beta1, t + 1);
        double cm = uNext / (1 - product * uNext);
        double cg = (1 - nadamU(beta1, t)) / (1 - product);
        double cv = 1 / (1 - Math.pow(beta2, t));
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                float mi = (float) (beta1 * (double) ms[mo + i] + (1.0 - beta1) * g);
                float vi = (float) (beta2 * (double) vs[vo + i] + (1.0 - beta2) * g * g);
                ms[mo + i] = mi;
                vs[vo + i] = vi;
                double mHat = cm * mi + cg * g;
                ps[po + i] = (float) (ps[po + i] - lr * mHat / (Math.sqrt(vi * cv) + eps));
            }
        });
    }

    /** Nadam's momentum schedule, {@code beta1 (1 - 0.5 * 0.96^k)}. */
    private static double nadamU(double beta1, int k) {
        return beta1 * (1 - 0.5 * Math.pow(0.96, k));
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] ms = floats(m);
        int po = params.offset();
        int go = grads.offset();
        int mo = m.offset();
        double lr = learningRate(hyper);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                double mi = ms[mo + i];
                double c = beta1 * mi + (1.0 - beta1) * g;
                ps[po + i] = (float) (ps[po + i] - lr * Math.signum(c));
                ms[mo + i] = (float) (beta2 * mi + (1.0 - beta2) * g);
            }
        });
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] ag = floats(accGrad);
        float[] ad = floats(accDelta);
        int po = params.offset();
        int go = grads.offset();
        int ago = accGrad.offset();
        int ado = accDelta.offset();
        double lr = learningRate(hyper);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                float a = (float) (rho * (double) ag[ago + i] + (1.0 - rho) * g * g);
                ag[ago + i] = a;
                double delta = -Math.sqrt((double) ad[ado + i] + eps) * g / Math.sqrt((double) a + eps);
                ad[ado + i] = (float) (rho * (double) ad[ado + i] + (1.0 - rho) * delta * delta);
                ps[po + i] = (float) (ps[po + i] + lr * delta);
            }
        });
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] as = floats(accumulator);
        float[] ls = floats(linear);
        int po = params.offset();
        int go = grads.offset();
        int ao = accumulator.offset();
        int lo = linear.offset();
        double lr = learningRate(hyper);
        double e = -(double) lrPower;
        double l2Total = l2 + beta / (2 * lr);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs[go + i];
                double w = ps[po + i];
                double acc = as[ao + i];
                float newAcc = (float) (acc + g * g);
                double newPow = Math.pow(newAcc, e);
                float lin = (float) (ls[lo + i] + g + 2 * l2Shrinkage * w - (newPow - Math.pow(acc, e)) / lr * w);
                double quadratic = newPow / lr + 2 * l2Total;
                double clipped = Math.max(-l1, Math.min(l1, lin));
                ps[po + i] = (float) ((clipped - lin) / quadratic);
                as[ao + i] = newAcc;
                ls[lo + i] = lin;
            }
        });
    }

    /** One thread, in element order (the norms' sums in double, independent of the thread count). */
    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] ms = floats(m);
        float[] vs = floats(v);
        int po = params.offset();
        int go = grads.offset();
        int mo = m.offset();
        int vo = v.offset();
        int t = step(counters);
        double c1 = 1 / (1 - Math.pow(beta1, t));
        double c2 = 1 / (1 - Math.pow(beta2, t));
        double[] u = new double[n];
        double wSquares = 0;
        double uSquares = 0;
        for (int i = 0; i < n; i++) {
            double g = gs[go + i];
            float mi = (float) (beta1 * (double) ms[mo + i] + (1.0 - beta1) * g);
            float vi = (float) (beta2 * (double) vs[vo + i] + (1.0 - beta2) * g * g);
            ms[mo + i] = mi;
            vs[vo + i] = vi;
            u[i] = mi * c1 / (Math.sqrt(vi * c2) + eps);
            double w = ps[po + i];
            wSquares += w * w;
            uSquares += u[i] * u[i];
        }
        double wNorm = Math.sqrt(wSquares);
        double uNorm = Math.sqrt(uSquares);
        double step = learningRate(hyper) * (wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1);
        for (int i = 0; i < n; i++) {
            ps[po + i] = (float) (ps[po + i] - step * u[i]);
        }
    }

    /**
     * One thread, in element order, sums and means in double; the accumulators are stored as floats, as on the
     * GPUs (layout in kernels/common/optimizers.h).
     */
    @Override
    public void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                float clipThreshold) {
        float[] ps = floats(params);
        float[] gs = floats(grads);
        float[] as = floats(accumulator);
        int po = params.offset();
        int go = grads.offset();
        int ao = accumulator.offset();
        int n = rows * cols;
        if (n == 0) {
            return;
        }
        int t = step(counters);
        double beta = 1 - Math.pow(t, beta2Decay);
        double rho = Math.min(learningRate(hyper), 1 / Math.sqrt(t));
        boolean factored = rows > 1 && cols > 1;
        double[] v = new double[n];
        double wSquares = 0;
        for (int k = 0; k < n; k++) {
            double w = ps[po + k];
            wSquares += w * w;
        }
        if (factored) {
            double rSum = 0;
            for (int i = 0; i < rows; i++) {
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    double g = gs[go + i * cols + j];
                    sum += g * g + epsilon1;
                }
                as[ao + i] = (float) (beta * as[ao + i] + (1 - beta) * (sum / cols));
                rSum += as[ao + i];
            }
            for (int j = 0; j < cols; j++) {
                double sum = 0;
                for (int i = 0; i < rows; i++) {
                    double g = gs[go + i * cols + j];
                    sum += g * g + epsilon1;
                }
                as[ao + rows + j] = (float) (beta * as[ao + rows + j] + (1 - beta) * (sum / rows));
            }
            double rMean = rSum / rows;
            for (int k = 0; k < n; k++) {
                v[k] = as[ao + k / cols] / rMean * as[ao + rows + k % cols];
            }
        } else {
            for (int k = 0; k < n; k++) {
                double g = gs[go + k];
                as[ao + k] = (float) (beta * as[ao + k] + (1 - beta) * (g * g + epsilon1));
                v[k] = as[ao + k];
            }
        }
        double uSquares = 0;
        for (int k = 0; k < n; k++) {
            v[k] = gs[go + k] / Math.sqrt(v[k]); // from here on the direction u
            uSquares += v[k] * v[k];
        }
        double alpha = Math.max(epsilon2, Math.sqrt(wSquares / n)) * rho;
        double step = alpha / Math.max(1, Math.sqrt(uSquares / n) / clipThreshold);
        for (int k = 0; k < n; k++) {
            ps[po + k] = (float) (ps[po + k] - step * v[k]);
        }
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        float[] ps = floats(params);
        int po = params.offset();
        double wdLr = (double) weightDecay * learningRate(hyper);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                ps[po + i] = (float) (ps[po + i] - ps[po + i] * wdLr);
            }
        });
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        float[] gs = floats(grads);
        int go = grads.offset();
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gs[go + i];
                gs[go + i] = g > clipValue ? clipValue : (g < -clipValue ? -clipValue : g);
            }
        });
    }

    /** Sums the squares in double in one thread (a fixed order, so independent of the thread count). */
    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        float[] gs = floats(grads);
        int go = grads.offset();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double g = gs[go + i];
            sum += g * g;
        }
        double norm = Math.sqrt(sum);
        double scale = clipNorm / (norm <= clipNorm ? clipNorm : norm);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                gs[go + i] = (float) (gs[go + i] * scale);
            }
        });
    }

    /** The optimizer's 1-based step t in a checked counters slice. */
    private static int step(Slice counters) {
        return ints(counters)[counters.offset() + COUNTER_STEP] + 1;
    }

    /** The learning rate in a checked hyper slice. */
    private static double learningRate(Slice hyper) {
        return floats(hyper)[hyper.offset() + HYPER_LR];
    }
}
