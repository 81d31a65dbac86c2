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
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats vs = CpuFloats.of(velocity);
        double lr = learningRate(hyper);
        int po = ps.offset();
        if (po == gs.offset() && (vs == null || po == vs.offset())) {
            // The engine's case (whole flat buffers): the vectorised float loops, as accurate as the GPUs'.
            float lrf = (float) lr;
            float[] p = ps.array();
            float[] g = gs.array();
            par.forStreaming(n, vs == null
                    ? (i0, i1) -> CpuLoops.sgd(p, g, po + i0, po + i1, lrf)
                    : (i0, i1) -> CpuOptimizerLoops.kernel().sgdMomentum(p, g, vs.array(), po + i0, po + i1, lrf,
                            momentum, nesterov));
            return;
        }
        par.forRange(n, CHEAP, (i0, i1) -> {
            if (vs == null) {
                for (int i = i0; i < i1; i++) {
                    ps.set(i, (float) (ps.get(i) - lr * gs.get(i)));
                }
                return;
            }
            for (int i = i0; i < i1; i++) {
                double g = gs.get(i);
                float v = CpuOptimizerLoops.flushSubnormal((float) (momentum * (double) vs.get(i) - lr * g));
                vs.set(i, v);
                double step = nesterov ? momentum * (double) v - lr * g : v;
                ps.set(i, (float) (ps.get(i) + step));
            }
        });
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        double lr = learningRate(hyper);
        int t = step(counters);
        double lrT = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        AdamStep step = adamStep;
        step.set(CpuFloats.of(params), CpuFloats.of(grads), CpuFloats.of(m), CpuFloats.of(v), CpuFloats.of(vMax),
                (float) lrT, beta1, beta2, eps);
        try {
            par.forStreaming(n, step::run);
        } finally {
            step.set(null, null, null, null, null, 0f, 0f, 0f, 0f); // hold no arrays
        }
    }

    /**
     * One Adam update's arguments, run over element ranges by {@link CpuOptimizerLoops}. The backend keeps one and
     * refills it per call (ops run one at a time), so an update allocates nothing.
     */
    private final class AdamStep {
        private CpuFloats ps;
        private CpuFloats gs;
        private CpuFloats ms;
        private CpuFloats vs;
        private CpuFloats xs;
        private float lrT;
        private float beta1;
        private float b1cHi;
        private float b1cLo;
        private float beta2;
        private float b2c;
        private float eps;
        /** The loop over arrays, made once so that an update allocates nothing. */
        private final StateLoop loop = this::kernel;

        void set(CpuFloats ps, CpuFloats gs, CpuFloats ms, CpuFloats vs, CpuFloats xs,
                 float lrT, float beta1, float beta2, float eps) {
            this.ps = ps;
            this.gs = gs;
            this.ms = ms;
            this.vs = vs;
            this.xs = xs;
            this.lrT = lrT;
            this.beta1 = beta1;
            double b1c = 1.0 - beta1; // 1 - beta1 to 48 bits: a float and the float remainder
            this.b1cHi = (float) b1c;
            this.b1cLo = (float) (b1c - b1cHi);
            this.beta2 = beta2;
            this.b2c = (float) (1.0 - beta2);
            this.eps = eps;
        }

        /** Elements {@code [i0, i1)}: in place, or through {@link #tiles}. */
        void run(int i0, int i1) {
            if (inPlace(ps, gs, ms, vs, xs)) { // the loop's call here, not in a shared method (see inPlace)
                int o = ps.offset();
                kernel(ps.array(), gs.array(), ms.array(), vs.array(), array(xs), o + i0, o + i1);
            } else {
                tiles(ps, gs, ms, vs, xs, i0, i1, loop);
            }
        }

        private void kernel(float[] p, float[] g, float[] mm, float[] vv, float[] x, int from, int to) {
            CpuOptimizerLoops.kernel().adam(p, g, mm, vv, x, from, to, lrT, beta1, b1cHi, b1cLo, beta2, b2c, eps);
        }
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats sq = CpuFloats.of(ms);
        CpuFloats mo = CpuFloats.of(mom);
        CpuFloats av = CpuFloats.of(mg);
        // The float loops of CpuOptimizerLoops, the GPUs' rule, one per combination of the options (see
        // CpuOptimizerLoopsVector on why they are not one loop), each called in place from a lambda of its own, so
        // that a JVM training RMSprop with and without options does not give one call site two loops (see inPlace).
        float lr = (float) learningRate(hyper);
        float rhoC = (float) (1.0 - rho);
        boolean inPlace = inPlace(ps, gs, sq, mo, av);
        float[] p = ps.array();
        float[] g = gs.array();
        float[] s = sq.array();
        float[] v = array(mo);
        float[] a = array(av);
        int o = ps.offset();
        StateLoop loop;
        CpuParallel.Range direct;
        if (mo == null && av == null) {
            loop = (pp, gg, ss, s2, s3, from, to) -> CpuOptimizerLoops.kernel().rmsprop(pp, gg, ss, from, to, lr, rho,
                    rhoC, eps);
            direct = (i0, i1) -> loop.run(p, g, s, null, null, o + i0, o + i1);
        } else if (av == null) {
            loop = (pp, gg, ss, vv, s3, from, to) -> CpuOptimizerLoops.kernel().rmspropMomentum(pp, gg, ss, vv, from,
                    to, lr, rho, rhoC, momentum, eps);
            direct = (i0, i1) -> loop.run(p, g, s, v, null, o + i0, o + i1);
        } else if (mo == null) {
            loop = (pp, gg, ss, s2, aa, from, to) -> CpuOptimizerLoops.kernel().rmspropCentered(pp, gg, ss, aa, from,
                    to, lr, rho, rhoC, eps);
            direct = (i0, i1) -> loop.run(p, g, s, null, a, o + i0, o + i1);
        } else {
            loop = (pp, gg, ss, vv, aa, from, to) -> CpuOptimizerLoops.kernel().rmspropCenteredMomentum(pp, gg, ss,
                    vv, aa, from, to, lr, rho, rhoC, momentum, eps);
            direct = (i0, i1) -> loop.run(p, g, s, v, a, o + i0, o + i1);
        }
        par.forStreaming(n, inPlace ? direct : (i0, i1) -> tiles(ps, gs, sq, mo, av, i0, i1, loop));
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats as = CpuFloats.of(accumulator);
        float lr = (float) learningRate(hyper);
        StateLoop loop = (p, g, a, s2, s3, from, to) -> CpuOptimizerLoops.kernel().adagrad(p, g, a, from, to, lr, eps);
        par.forStreaming(n, inPlace(ps, gs, as, null, null)
                ? (i0, i1) -> loop.run(ps.array(), gs.array(), as.array(), null, null, ps.offset() + i0,
                        ps.offset() + i1)
                : (i0, i1) -> tiles(ps, gs, as, null, null, i0, i1, loop));
    }

    /** A loop over a parameter, its gradient and one to three state arrays (the unused ones null), in place. */
    private interface StateLoop {
        void run(float[] p, float[] g, float[] s1, float[] s2, float[] s3, int from, int to);
    }

    /**
     * Whether a parameter, its gradient and one to three state slices ({@code s2} and {@code s3} may be null) share
     * one offset (the engine's flat buffers), so that a {@link StateLoop} runs on their arrays in place; else
     * {@link #tiles}. Each update calls its loop in place from a lambda of its own, not from a method the updates
     * share: at a shared call site that had seen exactly two optimizers' loops (RMSprop then Adam in one JVM, as a
     * course compares them), C2 inlined both into one compilation, past its node budget, and Adam's vectors went to
     * the heap: 1.6 GB an epoch instead of 43 MB (Fashion-MNIST, AMD EPYC AVX-512, 2026-12-07, bench/RESULTS.md).
     */
    private static boolean inPlace(CpuFloats ps, CpuFloats gs, CpuFloats s1, CpuFloats s2, CpuFloats s3) {
        int po = ps.offset();
        return po == gs.offset() && po == s1.offset() && (s2 == null || po == s2.offset())
                && (s3 == null || po == s3.offset());
    }

    private static float[] array(CpuFloats s) {
        return s == null ? null : s.array();
    }

    /**
     * Elements {@code [i0, i1)} of {@code loop} through tiles, the parameter and states written back: slices whose
     * offsets differ (see {@link #inPlace}).
     */
    private void tiles(CpuFloats ps, CpuFloats gs, CpuFloats s1, CpuFloats s2, CpuFloats s3, int i0, int i1,
                       StateLoop loop) {
        CpuParallel.Tiles t = par.tiles();
        float[] tp = t.get(0, TILE);
        float[] tg = t.get(1, TILE);
        float[] t1 = t.get(2, TILE);
        float[] t2 = s2 == null ? null : t.get(3, TILE);
        float[] t3 = s3 == null ? null : t.get(4, TILE);
        for (int i = i0; i < i1; i += TILE) {
            int n = Math.min(TILE, i1 - i);
            ps.read(i, tp, n);
            gs.read(i, tg, n);
            s1.read(i, t1, n);
            readIfAny(s2, i, t2, n);
            readIfAny(s3, i, t3, n);
            loop.run(tp, tg, t1, t2, t3, 0, n);
            ps.write(i, tp, n);
            s1.write(i, t1, n);
            writeIfAny(s2, i, t2, n);
            writeIfAny(s3, i, t3, n);
        }
    }

    private static void readIfAny(CpuFloats s, int i, float[] tile, int n) {
        if (s != null) {
            s.read(i, tile, n);
        }
    }

    private static void writeIfAny(CpuFloats s, int i, float[] tile, int n) {
        if (s != null) {
            s.write(i, tile, n);
        }
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats ms = CpuFloats.of(m);
        CpuFloats us = CpuFloats.of(u);
        float stepSize = (float) (learningRate(hyper) / (1 - Math.pow(beta1, step(counters))));
        float b1c = (float) (1.0 - beta1);
        StateLoop loop = (p, g, mm, uu, s3, from, to) -> CpuOptimizerLoops.kernel().adamax(p, g, mm, uu, from, to,
                stepSize, beta1, b1c, beta2, eps);
        par.forStreaming(n, inPlace(ps, gs, ms, us, null)
                ? (i0, i1) -> loop.run(ps.array(), gs.array(), ms.array(), us.array(), null, ps.offset() + i0,
                        ps.offset() + i1)
                : (i0, i1) -> tiles(ps, gs, ms, us, null, i0, i1, loop));
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats ms = CpuFloats.of(m);
        CpuFloats vs = CpuFloats.of(v);
        int t = step(counters);
        // u_1 ... u_t; past k = 1000, 0.5 * 0.96^k is below double's resolution and the tail is beta1^(t - 1000).
        int head = Math.min(t, 1000);
        double product = 1;
        for (int k = 1; k <= head; k++) {
            product *= nadamU(beta1, k);
        }
        product *= Math.pow(beta1, t - head);
        double uNext = nadamU(beta1, t + 1);
        float cmf = (float) (uNext / (1 - product * uNext));
        float cgf = (float) ((1 - nadamU(beta1, t)) / (1 - product));
        float cvf = (float) (1 / (1 - Math.pow(beta2, t)));
        float lr = (float) learningRate(hyper);
        float b1c = (float) (1.0 - beta1);
        float b2c = (float) (1.0 - beta2);
        StateLoop loop = (p, g, mm, vv, s3, from, to) -> CpuOptimizerLoops.kernel().nadam(p, g, mm, vv, from, to, lr,
                beta1, b1c, beta2, b2c, cmf, cgf, cvf, eps);
        par.forStreaming(n, inPlace(ps, gs, ms, vs, null)
                ? (i0, i1) -> loop.run(ps.array(), gs.array(), ms.array(), vs.array(), null, ps.offset() + i0,
                        ps.offset() + i1)
                : (i0, i1) -> tiles(ps, gs, ms, vs, null, i0, i1, loop));
    }

    /**
     * Moves slot {@code i} of an optimizer's state towards {@code x y}: {@code s = keep s + (1 - keep) x y} in double,
     * stored (and returned) rounded once to float: LAMB's moments (LAMB has no float loop in CpuOptimizerLoops);
     * the product is left to right, {@code ((1 - keep) x) y}, as the rules were written ({@code y = 1} is exact).
     */
    private static float average(CpuFloats s, int i, double keep, double x, double y) {
        float a = (float) (keep * s.get(i) + (1.0 - keep) * x * y);
        s.set(i, a);
        return a;
    }

    /** Nadam's momentum schedule, {@code beta1 (1 - 0.5 * 0.96^k)}. */
    private static double nadamU(double beta1, int k) {
        return beta1 * (1 - 0.5 * Math.pow(0.96, k));
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats ms = CpuFloats.of(m);
        float lr = (float) learningRate(hyper);
        float b1c = (float) (1.0 - beta1);
        float b2c = (float) (1.0 - beta2);
        StateLoop loop = (p, g, mm, s2, s3, from, to) -> CpuOptimizerLoops.kernel().lion(p, g, mm, from, to, lr,
                beta1, b1c, beta2, b2c);
        par.forStreaming(n, inPlace(ps, gs, ms, null, null)
                ? (i0, i1) -> loop.run(ps.array(), gs.array(), ms.array(), null, null, ps.offset() + i0,
                        ps.offset() + i1)
                : (i0, i1) -> tiles(ps, gs, ms, null, null, i0, i1, loop));
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats ag = CpuFloats.of(accGrad);
        CpuFloats ad = CpuFloats.of(accDelta);
        float lr = (float) learningRate(hyper);
        float rhoC = (float) (1.0 - rho);
        StateLoop loop = (p, g, a, d, s3, from, to) -> CpuOptimizerLoops.kernel().adadelta(p, g, a, d, from, to, lr,
                rho, rhoC, eps);
        par.forStreaming(n, inPlace(ps, gs, ag, ad, null)
                ? (i0, i1) -> loop.run(ps.array(), gs.array(), ag.array(), ad.array(), null, ps.offset() + i0,
                        ps.offset() + i1)
                : (i0, i1) -> tiles(ps, gs, ag, ad, null, i0, i1, loop));
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats as = CpuFloats.of(accumulator);
        CpuFloats ls = CpuFloats.of(linear);
        double lr = learningRate(hyper);
        double e = -(double) lrPower;
        double l2Total = l2 + beta / (2 * lr);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double g = gs.get(i);
                double w = ps.get(i);
                double acc = as.get(i);
                float newAcc = (float) (acc + g * g);
                double newPow = Math.pow(newAcc, e);
                float lin = (float) (ls.get(i) + g + 2 * l2Shrinkage * w - (newPow - Math.pow(acc, e)) / lr * w);
                double quadratic = newPow / lr + 2 * l2Total;
                double clipped = Math.max(-l1, Math.min(l1, lin));
                ps.set(i, (float) ((clipped - lin) / quadratic));
                as.set(i, newAcc);
                ls.set(i, lin);
            }
        });
    }

    /**
     * One thread, in element order (the norms' sums in double, independent of the thread count). The second pass
     * recomputes each update direction from the stored moments rather than keeping the first pass's in an array of
     * n doubles (3.2 MB a step for a 784 x 512 layer): the same doubles from the same floats, so the same bits.
     */
    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats ms = CpuFloats.of(m);
        CpuFloats vs = CpuFloats.of(v);
        int t = step(counters);
        double c1 = 1 / (1 - Math.pow(beta1, t));
        double c2 = 1 / (1 - Math.pow(beta2, t));
        double wSquares = 0;
        double uSquares = 0;
        for (int i = 0; i < n; i++) {
            double g = gs.get(i);
            double u = lambDirection(average(ms, i, beta1, g, 1.0), average(vs, i, beta2, g, g), c1, c2, eps);
            double w = ps.get(i);
            wSquares += w * w;
            uSquares += u * u;
        }
        double wNorm = Math.sqrt(wSquares);
        double uNorm = Math.sqrt(uSquares);
        double step = learningRate(hyper) * (wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1);
        for (int i = 0; i < n; i++) {
            ps.set(i, (float) (ps.get(i) - step * lambDirection(ms.get(i), vs.get(i), c1, c2, eps)));
        }
    }

    /** LAMB's update direction before the trust ratio: Adam's bias-corrected step, {@code m^ / (sqrt(v^) + eps)}. */
    private static double lambDirection(float m, float v, double c1, double c2, float eps) {
        return m * c1 / (Math.sqrt(v * c2) + eps);
    }

    /**
     * One thread, in element order, sums and means in double; the accumulators are stored as floats, as on the
     * GPUs (layout in kernels/common/optimizers.h).
     */
    @Override
    public void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                float clipThreshold) {
        CpuFloats ps = CpuFloats.of(params);
        CpuFloats gs = CpuFloats.of(grads);
        CpuFloats as = CpuFloats.of(accumulator);
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
            double w = ps.get(k);
            wSquares += w * w;
        }
        if (factored) {
            double rSum = 0;
            for (int i = 0; i < rows; i++) {
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    double g = gs.get(i * cols + j);
                    sum += g * g + epsilon1;
                }
                as.set(i, (float) (beta * as.get(i) + (1 - beta) * (sum / cols)));
                rSum += as.get(i);
            }
            for (int j = 0; j < cols; j++) {
                double sum = 0;
                for (int i = 0; i < rows; i++) {
                    double g = gs.get(i * cols + j);
                    sum += g * g + epsilon1;
                }
                as.set(rows + j, (float) (beta * as.get(rows + j) + (1 - beta) * (sum / rows)));
            }
            double rMean = rSum / rows;
            for (int k = 0; k < n; k++) {
                v[k] = as.get(k / cols) / rMean * as.get(rows + k % cols);
            }
        } else {
            for (int k = 0; k < n; k++) {
                double g = gs.get(k);
                as.set(k, (float) (beta * as.get(k) + (1 - beta) * (g * g + epsilon1)));
                v[k] = as.get(k);
            }
        }
        double uSquares = 0;
        for (int k = 0; k < n; k++) {
            v[k] = gs.get(k) / Math.sqrt(v[k]); // from here on the direction u
            uSquares += v[k] * v[k];
        }
        double alpha = Math.max(epsilon2, Math.sqrt(wSquares / n)) * rho;
        double step = alpha / Math.max(1, Math.sqrt(uSquares / n) / clipThreshold);
        for (int k = 0; k < n; k++) {
            ps.set(k, (float) (ps.get(k) - step * v[k]));
        }
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        CpuFloats ps = CpuFloats.of(params);
        double wdLr = (double) weightDecay * learningRate(hyper);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                ps.set(i, (float) (ps.get(i) - ps.get(i) * wdLr));
            }
        });
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        CpuFloats gs = CpuFloats.of(grads);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gs.get(i);
                gs.set(i, g > clipValue ? clipValue : (g < -clipValue ? -clipValue : g));
            }
        });
    }

    /** Sums the squares in double in one thread (a fixed order, so independent of the thread count). */
    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        CpuFloats gs = CpuFloats.of(grads);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double g = gs.get(i);
            sum += g * g;
        }
        double norm = Math.sqrt(sum);
        double scale = clipNorm / (norm <= clipNorm ? clipNorm : norm);
        par.forRange(n, CHEAP, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                gs.set(i, (float) (gs.get(i) * scale));
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
