package dev.dendrite.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuOptimizerLoops}' loops a vector of elements at a time, with the scalar definition's float operations in
 * its order (fma where it has {@code Math.fma}, the flush as a compare and a blend), so the bits are the same; the
 * range's last partial vector runs the scalar loop. Loaded only through {@link CpuVectorKernels}.
 *
 * <p>Why a vector loop at all: C2 vectorises the scalar loops without the flush, but not with it (a conditional per
 * element), and the flush is what keeps subnormal moments from costing microcode assists (see
 * {@link CpuOptimizerLoops}). Here the flush costs two instructions a vector.
 */
final class CpuOptimizerLoopsVector implements CpuOptimizerLoops.Kernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector MIN_NORMAL = FloatVector.broadcast(S, Float.MIN_NORMAL);
    private static final FloatVector ZERO = FloatVector.zero(S);

    // Every scalar operand is broadcast once, at the top of its method, and the loops combine vectors only: a
    // lane-wise operation given a float broadcasts it inside the Vector API's own calls, and inlined deep into
    // CpuParallel's workers C2 sometimes failed to intrinsify that broadcast (about a second into a run) and kept
    // the loop's vectors on the heap: Adadelta's step took 1.15 ms instead of 0.3, Adagrad's loop boxed 1 MB a
    // step (AMD EPYC, AVX-512, 2026-12-07; bench/RESULTS.md; HeapVectorCheck finds such loops).

    @Override
    public void adam(float[] p, float[] g, float[] m, float[] v, float[] vMax, int from, int to, float lrT,
                     float beta1, float b1cHi, float b1cLo, float beta2, float b2c, float eps) {
        FloatVector hi = FloatVector.broadcast(S, b1cHi);
        FloatVector lo = FloatVector.broadcast(S, b1cLo);
        FloatVector b1 = FloatVector.broadcast(S, beta1);
        FloatVector b2 = FloatVector.broadcast(S, beta2);
        FloatVector b2cV = FloatVector.broadcast(S, b2c);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        FloatVector lrTV = FloatVector.broadcast(S, lrT);
        // Without AMSGrad the loop runs with v in vMax's place: max(v, v) is v to the bit (NaN and -0 included) and the
        // extra load and store of v hit L1, so one loop serves both. A test of vMax inside the loop instead would let
        // C2 box the vector it chooses, which is many times slower (measured with the GEMM's accumulators).
        float[] denom = vMax != null ? vMax : v;
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = firstMoment(FloatVector.fromArray(S, m, i), gi, b1, hi, lo);
            FloatVector vi = flush(FloatVector.fromArray(S, v, i).fma(b2, gi.mul(gi).mul(b2cV)));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector denomV = FloatVector.fromArray(S, denom, i).max(vi);
            denomV.intoArray(denom, i);
            FloatVector.fromArray(S, p, i).sub(mi.div(denomV.sqrt().add(epsV)).mul(lrTV)).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.adam(p, g, m, v, vMax, i, to, lrT, beta1, b1cHi, b1cLo, beta2, b2c, eps);
    }

    /** {@link CpuOptimizerLoops#firstMoment}, flushed: {@code b1cHi g} split exactly by an fma. */
    private static FloatVector firstMoment(FloatVector m, FloatVector g, FloatVector beta1, FloatVector b1cHi,
                                           FloatVector b1cLo) {
        FloatVector prod = g.mul(b1cHi);
        FloatVector err = g.fma(b1cHi, prod.neg()).add(g.mul(b1cLo));
        return flush(m.fma(beta1, prod).add(err));
    }

    @Override
    public void rmsprop(float[] p, float[] g, float[] s, int from, int to, float lr, float rho, float rhoC,
                        float eps) {
        FloatVector r = FloatVector.broadcast(S, rho);
        FloatVector rc = FloatVector.broadcast(S, rhoC);
        FloatVector lrV = FloatVector.broadcast(S, lr);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector si = meanSquare(s, i, gi, r, rc);
            FloatVector.fromArray(S, p, i).sub(gi.mul(lrV).div(si.add(epsV).sqrt())).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.rmsprop(p, g, s, i, to, lr, rho, rhoC, eps);
    }

    // RMSprop's options: three methods, each one loop. One method with the three loops boxed the last loop's
    // vectors once C2 had inlined two of them (or the loop without options) into one compilation: its node count
    // passed the inlining cutoff (HeapVectorCheck, 4 MB a step, AMD EPYC AVX-512, 2026-12-07).

    @Override
    public void rmspropMomentum(float[] p, float[] g, float[] s, float[] mom, int from, int to, float lr, float rho,
                                float rhoC, float momentum, float eps) {
        FloatVector r = FloatVector.broadcast(S, rho);
        FloatVector rc = FloatVector.broadcast(S, rhoC);
        FloatVector lrV = FloatVector.broadcast(S, lr);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        FloatVector mo = FloatVector.broadcast(S, momentum);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector si = meanSquare(s, i, gi, r, rc);
            momentumStep(p, mom, i, gi.mul(lrV).div(si.add(epsV).sqrt()), mo);
        }
        CpuOptimizerLoops.SCALAR.rmspropMomentum(p, g, s, mom, i, to, lr, rho, rhoC, momentum, eps);
    }

    @Override
    public void rmspropCentered(float[] p, float[] g, float[] s, float[] mg, int from, int to, float lr, float rho,
                                float rhoC, float eps) {
        FloatVector r = FloatVector.broadcast(S, rho);
        FloatVector rc = FloatVector.broadcast(S, rhoC);
        FloatVector lrV = FloatVector.broadcast(S, lr);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector denom = centred(mg, i, gi, meanSquare(s, i, gi, r, rc), r, rc);
            FloatVector.fromArray(S, p, i).sub(gi.mul(lrV).div(denom.add(epsV).sqrt())).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.rmspropCentered(p, g, s, mg, i, to, lr, rho, rhoC, eps);
    }

    @Override
    public void rmspropCenteredMomentum(float[] p, float[] g, float[] s, float[] mom, float[] mg, int from, int to,
                                        float lr, float rho, float rhoC, float momentum, float eps) {
        FloatVector r = FloatVector.broadcast(S, rho);
        FloatVector rc = FloatVector.broadcast(S, rhoC);
        FloatVector lrV = FloatVector.broadcast(S, lr);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        FloatVector mo = FloatVector.broadcast(S, momentum);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector denom = centred(mg, i, gi, meanSquare(s, i, gi, r, rc), r, rc);
            momentumStep(p, mom, i, gi.mul(lrV).div(denom.add(epsV).sqrt()), mo);
        }
        CpuOptimizerLoops.SCALAR.rmspropCenteredMomentum(p, g, s, mom, mg, i, to, lr, rho, rhoC, momentum, eps);
    }

    /** RMSprop's {@code s = flush(rho s + rhoC g^2)} at {@code i}, stored and returned. */
    private static FloatVector meanSquare(float[] s, int i, FloatVector g, FloatVector rho, FloatVector rhoC) {
        FloatVector si = flush(FloatVector.fromArray(S, s, i).fma(rho, g.mul(g).mul(rhoC)));
        si.intoArray(s, i);
        return si;
    }

    /** Centered RMSprop: {@code mg = flush(dot2(rho, mg, rhoC, g))} stored, and {@code fma(-mg, mg, s)} returned. */
    private static FloatVector centred(float[] mg, int i, FloatVector g, FloatVector s, FloatVector rho,
                                       FloatVector rhoC) {
        FloatVector ai = flush(dot2(rho, FloatVector.fromArray(S, mg, i), rhoC, g));
        ai.intoArray(mg, i);
        return ai.neg().fma(ai, s);
    }

    /** RMSprop's momentum: {@code mom = flush(momentum mom + inc)}, {@code p -= mom}. */
    private static void momentumStep(float[] p, float[] mom, int i, FloatVector inc, FloatVector momentum) {
        FloatVector vi = flush(momentum.fma(FloatVector.fromArray(S, mom, i), inc));
        vi.intoArray(mom, i);
        FloatVector.fromArray(S, p, i).sub(vi).intoArray(p, i);
    }

    @Override
    public void adagrad(float[] p, float[] g, float[] a, int from, int to, float lr, float eps) {
        FloatVector lrV = FloatVector.broadcast(S, lr);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector ai = gi.fma(gi, FloatVector.fromArray(S, a, i));
            ai.intoArray(a, i);
            FloatVector.fromArray(S, p, i).sub(gi.mul(lrV).div(ai.add(epsV).sqrt())).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.adagrad(p, g, a, i, to, lr, eps);
    }

    @Override
    public void adadelta(float[] p, float[] g, float[] ag, float[] ad, int from, int to, float lr, float rho,
                         float rhoC, float eps) {
        FloatVector r = FloatVector.broadcast(S, rho);
        FloatVector rc = FloatVector.broadcast(S, rhoC);
        FloatVector l = FloatVector.broadcast(S, lr);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector agi = flush(dot2(r, FloatVector.fromArray(S, ag, i), rc, gi.mul(gi)));
            agi.intoArray(ag, i);
            FloatVector adi = FloatVector.fromArray(S, ad, i);
            FloatVector delta = adi.add(epsV).sqrt().neg().mul(gi).div(agi.add(epsV).sqrt());
            flush(dot2(r, adi, rc, delta.mul(delta))).intoArray(ad, i);
            l.fma(delta, FloatVector.fromArray(S, p, i)).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.adadelta(p, g, ag, ad, i, to, lr, rho, rhoC, eps);
    }

    @Override
    public void adamax(float[] p, float[] g, float[] m, float[] u, int from, int to, float stepSize, float beta1,
                       float b1c, float beta2, float eps) {
        FloatVector b1 = FloatVector.broadcast(S, beta1);
        FloatVector b1cV = FloatVector.broadcast(S, b1c);
        FloatVector b2 = FloatVector.broadcast(S, beta2);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        FloatVector stepV = FloatVector.broadcast(S, stepSize);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = flush(dot2(b1, FloatVector.fromArray(S, m, i), b1cV, gi));
            FloatVector ui = flush(FloatVector.fromArray(S, u, i).mul(b2).max(gi.abs()));
            mi.intoArray(m, i);
            ui.intoArray(u, i);
            FloatVector.fromArray(S, p, i).sub(mi.div(ui.add(epsV)).mul(stepV)).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.adamax(p, g, m, u, i, to, stepSize, beta1, b1c, beta2, eps);
    }

    @Override
    public void nadam(float[] p, float[] g, float[] m, float[] v, int from, int to, float lr, float beta1, float b1c,
                      float beta2, float b2c, float cm, float cg, float cv, float eps) {
        FloatVector b1 = FloatVector.broadcast(S, beta1);
        FloatVector b1cV = FloatVector.broadcast(S, b1c);
        FloatVector b2 = FloatVector.broadcast(S, beta2);
        FloatVector b2cV = FloatVector.broadcast(S, b2c);
        FloatVector cmV = FloatVector.broadcast(S, cm);
        FloatVector cgV = FloatVector.broadcast(S, cg);
        FloatVector cvV = FloatVector.broadcast(S, cv);
        FloatVector epsV = FloatVector.broadcast(S, eps);
        FloatVector lrV = FloatVector.broadcast(S, lr);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = flush(dot2(b1, FloatVector.fromArray(S, m, i), b1cV, gi));
            FloatVector vi = flush(dot2(b2, FloatVector.fromArray(S, v, i), b2cV, gi.mul(gi)));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector mHat = dot2(cmV, mi, cgV, gi);
            FloatVector.fromArray(S, p, i).sub(mHat.div(vi.mul(cvV).sqrt().add(epsV)).mul(lrV)).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.nadam(p, g, m, v, i, to, lr, beta1, b1c, beta2, b2c, cm, cg, cv, eps);
    }

    @Override
    public void lion(float[] p, float[] g, float[] m, int from, int to, float lr, float beta1, float b1c, float beta2,
                     float b2c) {
        FloatVector b1 = FloatVector.broadcast(S, beta1);
        FloatVector b1cV = FloatVector.broadcast(S, b1c);
        FloatVector b2 = FloatVector.broadcast(S, beta2);
        FloatVector b2cV = FloatVector.broadcast(S, b2c);
        FloatVector lrV = FloatVector.broadcast(S, lr);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector minusOne = FloatVector.broadcast(S, -1f);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = FloatVector.fromArray(S, m, i);
            FloatVector c = dot2(b1, mi, b1cV, gi);
            // The scalar rule's sign: 1 above 0, -1 below, else c itself (signed zeros and NaN kept).
            FloatVector sign = c.blend(one, c.compare(VectorOperators.GT, ZERO))
                    .blend(minusOne, c.compare(VectorOperators.LT, ZERO));
            FloatVector.fromArray(S, p, i).sub(lrV.mul(sign)).intoArray(p, i);
            dot2(b2, mi, b2cV, gi).intoArray(m, i);
        }
        CpuOptimizerLoops.SCALAR.lion(p, g, m, i, to, lr, beta1, b1c, beta2, b2c);
    }

    /**
     * {@link CpuOptimizerLoops#dot2} lane by lane: {@code a b + c d}, the error of {@code c d} added back (every operand
     * a vector, see the note at the top).
     */
    private static FloatVector dot2(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        FloatVector cd = d.mul(c);
        FloatVector cdError = d.fma(c, cd.neg());
        return a.fma(b, cd).add(cdError);
    }

    @Override
    public void sgdMomentum(float[] p, float[] g, float[] v, int from, int to, float lr, float momentum,
                            boolean nesterov) {
        FloatVector negLr = FloatVector.broadcast(S, -lr);
        FloatVector mom = FloatVector.broadcast(S, momentum);
        // Both increments are computed and a constant mask picks one (plain: v; Nesterov: momentum v - lr g), so one
        // loop serves both: as in adam, a branch choosing a vector inside the loop could make C2 box it, and the extra
        // fma and add cost nothing in this memory-bound loop. The blend selects whole lanes, so the bits are the
        // scalar loop's.
        VectorMask<Float> useNesterov = S.maskAll(nesterov);
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector step = negLr.mul(gi);
            FloatVector stepError = negLr.fma(gi, step.neg());
            FloatVector vi = flush(mom.fma(FloatVector.fromArray(S, v, i), step).add(stepError));
            vi.intoArray(v, i);
            FloatVector inc = vi.blend(mom.fma(vi, step).add(stepError), useNesterov);
            FloatVector.fromArray(S, p, i).add(inc).intoArray(p, i);
        }
        CpuOptimizerLoops.SCALAR.sgdMomentum(p, g, v, i, to, lr, momentum, nesterov);
    }

    /** {@link CpuOptimizerLoops#flushSubnormal} per lane: NaN compares false and stays. */
    private static FloatVector flush(FloatVector x) {
        VectorMask<Float> tiny = x.abs().compare(VectorOperators.LT, MIN_NORMAL);
        return x.blend(ZERO, tiny);
    }
}
