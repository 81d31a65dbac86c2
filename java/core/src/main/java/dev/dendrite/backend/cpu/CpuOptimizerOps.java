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
 * The CPU's optimizer updates over flat parameter buffers: SGD, Adam (AMSGrad), RMSprop, Adagrad.
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

    /** The learning rate in a checked hyper slice. */
    private static double learningRate(Slice hyper) {
        return floats(hyper)[hyper.offset() + HYPER_LR];
    }
}
