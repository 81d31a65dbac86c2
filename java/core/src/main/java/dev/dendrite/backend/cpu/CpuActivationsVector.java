package dev.dendrite.backend.cpu;

import static jdk.incubator.vector.VectorOperators.EXP;
import static jdk.incubator.vector.VectorOperators.EXPM1;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LOG1P;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.SQRT;

import java.util.EnumSet;
import java.util.Set;

import dev.dendrite.backend.ActivationFunction;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuActivations}' array loops for the activations that are not a plain max or min, on double lanes of the
 * Vector API: the same formulas, in double as there, with {@code e^x}, {@code e^x - 1} and {@code log(1 + x)} from
 * the JDK's vector intrinsics (Intel's SVML on x86-64, within 1 ulp of double) where the plain
 * loops call {@code Math.exp} one element at a time. Each chunk of a range is widened into a per-thread double
 * array, transformed there in whole vectors (the tail padded with zeros) and rounded back to float once.
 *
 * <p>Results: the piecewise activations (relu6, hard_sigmoid, hard_tanh, the shrinks, sparse_plus, squareplus ...)
 * run the plain loops' double operations in the same order and give their bits, NaN and signed zeros included.
 * Those through an intrinsic differ from the plain loops' only where the double results, both within a few double
 * ulps of the exact value, round to neighbouring floats: at most 1 float ulp (CpuActivationsVectorTest checks the
 * bound on fresh random inputs and on the plain loops' switch points), and rarely: one value in 100 million differed
 * (2026-12-07: the forward and derivative of the 12 activations on intrinsics, 4,194,304 normal draws each).
 *
 * <p>Only double vectors of the preferred shape appear here, as in the other vector kernels (a second shape would
 * share the Vector API's call sites with the GEMM's and slow it). Measured on the AMD EPYC (AVX2, 2026-12-07,
 * {@code ActivationBenchmark}, one 128 x 512 layer's forward and backward pass against the plain loops in the same
 * session): sigmoid and tanh 0.39x, selu and elu 0.3x, gelu 0.42x, the piecewise ones 0.11-0.2x (bench/RESULTS.md).
 */
final class CpuActivationsVector implements CpuActivations.Loops {
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int L = DS.length();
    /** Elements widened at a time: a multiple of every lane count, small enough to stay in L1 beside its float. */
    private static final int CHUNK = 512;
    /** Per thread: the chunk's values, and five arrays for gelu's intermediate passes. */
    private static final ThreadLocal<double[][]> STAGE = ThreadLocal.withInitial(() -> new double[6][CHUNK]);

    private static final Set<ActivationFunction> OWN = EnumSet.complementOf(EnumSet.of(ActivationFunction.LINEAR,
            ActivationFunction.RELU, ActivationFunction.LEAKY_RELU, ActivationFunction.SOFTMAX));

    private static final double SELU_SCALE = CpuActivations.SELU_SCALE;
    private static final double SELU_SCALE_ALPHA = CpuActivations.SELU_SCALE * CpuActivations.SELU_ALPHA;

    @Override
    public boolean forward(ActivationFunction f, float alpha, float[] z, float[] y, int from, int to) {
        if (!OWN.contains(f)) {
            return false;
        }
        double[][] stage = STAGE.get();
        double[] a = stage[0];
        for (int c = from; c < to; c += CHUNK) {
            int n = Math.min(CHUNK, to - c);
            forwardChunk(f, alpha, stage, widen(z, c, n, a));
            for (int k = 0; k < n; k++) {
                y[c + k] = (float) a[k];
            }
        }
        return true;
    }

    @Override
    public boolean backward(ActivationFunction f, float alpha, float[] z, float[] dy, float[] dz, int from, int to) {
        if (!OWN.contains(f)) {
            return false;
        }
        double[][] stage = STAGE.get();
        double[] a = stage[0];
        for (int c = from; c < to; c += CHUNK) {
            int n = Math.min(CHUNK, to - c);
            derivativeChunk(f, alpha, stage, widen(z, c, n, a));
            // dy times the float derivative, as the plain loop multiplies.
            for (int k = 0; k < n; k++) {
                dz[c + k] = dy[c + k] * (float) a[k];
            }
        }
        return true;
    }

    /** {@code a[0, n) = z[c, c + n)} widened, zeros up to the next whole vector; returns that length. */
    private static int widen(float[] z, int c, int n, double[] a) {
        for (int k = 0; k < n; k++) {
            a[k] = z[c + k];
        }
        int m = (n + L - 1) / L * L;
        for (int k = n; k < m; k++) {
            a[k] = 0;
        }
        return m;
    }

    private static DoubleVector at(double[] a, int k) {
        return DoubleVector.fromArray(DS, a, k);
    }

    // Each activation's loop is a method of its own, which C2 compiles with its own inlining budget: one method of
    // every loop came out slower than the plain loops (inlining stopped, and the Vector API then boxes its vectors
    // on the heap), and so would a call through an interface, which passes vectors.

    private static void forwardChunk(ActivationFunction f, float alpha, double[][] stage, int m) {
        double[] a = stage[0];
        switch (f) {
            case SIGMOID:
                sigmoidForward(a, m);
                break;
            case GELU:
                runPasses(GELU_FORWARD, stage, m);
                break;
            case TANH:
                tanhForward(a, m);
                break;
            case SELU:
                seluForward(a, m);
                break;
            case ELU:
                eluForward(alpha, a, m);
                break;
            case CELU:
                celuForward(a, m);
                break;
            case SWISH:
                swishForward(a, m);
                break;
            case SOFTPLUS:
                softplusForward(a, m);
                break;
            case LOG_SIGMOID:
                logSigmoidForward(a, m);
                break;
            case EXPONENTIAL:
                exponentialForward(a, m);
                break;
            case MISH:
                mishForward(a, m);
                break;
            case TANH_SHRINK:
                tanhShrinkForward(a, m);
                break;
            case SOFTSIGN:
                softsignForward(a, m);
                break;
            case RELU6:
                relu6Forward(a, m);
                break;
            case HARD_SIGMOID:
                hardSigmoidForward(a, m);
                break;
            case HARD_SILU:
                hardSiluForward(a, m);
                break;
            case HARD_TANH:
                hardTanhForward(a, m);
                break;
            case SOFT_SHRINK:
                softShrinkForward(a, m);
                break;
            case HARD_SHRINK:
                hardShrinkForward(a, m);
                break;
            case SPARSE_PLUS:
                sparsePlusForward(a, m);
                break;
            case SPARSE_SIGMOID:
                sparseSigmoidForward(a, m);
                break;
            case SQUAREPLUS:
                squareplusForward(a, m);
                break;
            default:
                throw new IllegalArgumentException("activation " + f + " has no vector loop");
        }
    }

    private static void sigmoidForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            sigmoid(at(a, k)).intoArray(a, k);
        }
    }

    private static void tanhForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            tanh(at(a, k)).intoArray(a, k);
        }
    }

    private static void seluForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.lanewise(EXPM1).mul(SELU_SCALE_ALPHA).blend(x.mul(SELU_SCALE), x.compare(GT, 0)).intoArray(a, k);
        }
    }

    private static void eluForward(float alpha, double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.lanewise(EXPM1).mul(alpha).blend(x, x.compare(GT, 0)).intoArray(a, k);
        }
    }

    private static void celuForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.lanewise(EXPM1).blend(x, x.compare(GT, 0)).intoArray(a, k);
        }
    }

    private static void swishForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.mul(sigmoid(x)).intoArray(a, k);
        }
    }

    private static void softplusForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            softplus(at(a, k)).intoArray(a, k);
        }
    }

    private static void logSigmoidForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            softplus(at(a, k).neg()).neg().intoArray(a, k);
        }
    }

    private static void exponentialForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            at(a, k).lanewise(EXP).intoArray(a, k);
        }
    }

    private static void mishForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            DoubleVector u = x.lanewise(EXP);
            DoubleVector n = u.mul(u.add(2));
            x.mul(n).div(n.add(2)).blend(x, x.compare(GT, 20)).intoArray(a, k);
        }
    }

    private static void tanhShrinkForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            tanhShrinkSeries(x).blend(x.sub(tanh(x)), x.abs().compare(GE, 0.1)).intoArray(a, k);
        }
    }

    private static void softsignForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.div(x.abs().add(1)).intoArray(a, k);
        }
    }

    private static void relu6Forward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            clamp(at(a, k), 0, 6).intoArray(a, k);
        }
    }

    private static void hardSigmoidForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            hardSigmoid(at(a, k)).intoArray(a, k);
        }
    }

    private static void hardSiluForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.mul(hardSigmoid(x)).intoArray(a, k);
        }
    }

    private static void hardTanhForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            clamp(at(a, k), -1, 1).intoArray(a, k);
        }
    }

    private static void softShrinkForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.add(0.5).blend(x.sub(0.5), x.compare(GT, 0)).blend(0, x.abs().compare(LE, 0.5)).intoArray(a, k);
        }
    }

    private static void hardShrinkForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.blend(0, x.abs().compare(LE, 0.5)).intoArray(a, k);
        }
    }

    private static void sparsePlusForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            DoubleVector p = x.add(1);
            p.mul(p).div(4).blend(x, x.compare(GE, 1)).blend(0, x.compare(LE, -1)).intoArray(a, k);
        }
    }

    private static void sparseSigmoidForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.add(1).div(2).blend(1, x.compare(GE, 1)).blend(0, x.compare(LE, -1)).intoArray(a, k);
        }
    }

    private static void squareplusForward(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            DoubleVector r = x.mul(x).add(4).lanewise(SQRT);
            // the second form where x + r would cancel, as the plain loop
            DoubleVector.broadcast(DS, 4).div(r.sub(x).mul(2)).blend(x.add(r).div(2), x.compare(GE, 0))
                    .intoArray(a, k);
        }
    }

    private static void derivativeChunk(ActivationFunction f, float alpha, double[][] stage, int m) {
        double[] a = stage[0];
        switch (f) {
            case SIGMOID:
                sigmoidDerivative(a, m);
                break;
            case GELU:
                runPasses(GELU_DERIVATIVE, stage, m);
                break;
            case TANH:
                tanhDerivative(a, m);
                break;
            case SELU:
                seluDerivative(a, m);
                break;
            case ELU:
                eluDerivative(alpha, a, m);
                break;
            case CELU:
                celuDerivative(a, m);
                break;
            case SWISH:
                swishDerivative(a, m);
                break;
            case SOFTPLUS:
                softplusDerivative(a, m);
                break;
            case LOG_SIGMOID:
                logSigmoidDerivative(a, m);
                break;
            case EXPONENTIAL:
                exponentialDerivative(a, m);
                break;
            case MISH:
                mishDerivative(a, m);
                break;
            case TANH_SHRINK:
                tanhShrinkDerivative(a, m);
                break;
            case SOFTSIGN:
                softsignDerivative(a, m);
                break;
            case RELU6:
                relu6Derivative(a, m);
                break;
            case HARD_SIGMOID:
                hardSigmoidDerivative(a, m);
                break;
            case HARD_SILU:
                hardSiluDerivative(a, m);
                break;
            case HARD_TANH:
                hardTanhDerivative(a, m);
                break;
            case SOFT_SHRINK:
            case HARD_SHRINK:
                hardShrinkDerivative(a, m);
                break;
            case SPARSE_PLUS:
                sparsePlusDerivative(a, m);
                break;
            case SPARSE_SIGMOID:
                sparseSigmoidDerivative(a, m);
                break;
            case SQUAREPLUS:
                squareplusDerivative(a, m);
                break;
            default:
                throw new IllegalArgumentException("activation " + f + " has no vector loop");
        }
    }

    private static void sigmoidDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            sigmoidSlope(at(a, k)).intoArray(a, k);
        }
    }

    private static void tanhDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector e = at(a, k).abs().mul(-2.0).lanewise(EXP);
            DoubleVector d = e.add(1);
            e.mul(4).div(d.mul(d)).intoArray(a, k);
        }
    }

    private static void seluDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            z.lanewise(EXP).mul(SELU_SCALE_ALPHA).blend(SELU_SCALE, z.compare(GT, 0)).intoArray(a, k);
        }
    }

    private static void eluDerivative(float alpha, double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            z.lanewise(EXP).mul(alpha).blend(1, z.compare(GT, 0)).intoArray(a, k);
        }
    }

    private static void celuDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            z.lanewise(EXP).blend(1, z.compare(GT, 0)).intoArray(a, k);
        }
    }

    private static void swishDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            DoubleVector s = sigmoid(z);
            z.mul(s).mul(s.neg().add(1)).add(s).intoArray(a, k);
        }
    }

    private static void softplusDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            sigmoid(at(a, k)).intoArray(a, k);
        }
    }

    private static void logSigmoidDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            sigmoid(at(a, k).neg()).intoArray(a, k);
        }
    }

    private static void exponentialDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            at(a, k).lanewise(EXP).intoArray(a, k);
        }
    }

    private static void mishDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            DoubleVector u = z.lanewise(EXP);
            DoubleVector n = u.mul(u.add(2));
            DoubleVector d = n.add(2);
            n.div(d).add(z.mul(4).mul(u).mul(u.add(1)).div(d.mul(d))).blend(1, z.compare(GT, 20))
                    .intoArray(a, k);
        }
    }

    private static void tanhShrinkDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector t = tanh(at(a, k));
            t.mul(t).intoArray(a, k);
        }
    }

    private static void softsignDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector t = DoubleVector.broadcast(DS, 1).div(at(a, k).abs().add(1));
            t.mul(t).intoArray(a, k);
        }
    }

    private static void relu6Derivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            ones(z.compare(GT, 0).and(z.compare(LT, 6)), 1).intoArray(a, k);
        }
    }

    private static void hardSigmoidDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            ones(z.compare(GT, -3).and(z.compare(LT, 3)), 1.0 / 6).intoArray(a, k);
        }
    }

    private static void hardSiluDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            z.mul(2).add(3).div(6).blend(1, z.compare(GE, 3)).blend(0, z.compare(LE, -3)).intoArray(a, k);
        }
    }

    private static void hardTanhDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            ones(z.compare(GE, -1).and(z.compare(LE, 1)), 1).intoArray(a, k);
        }
    }

    private static void hardShrinkDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            ones(at(a, k).abs().compare(GT, 0.5), 1).intoArray(a, k);
        }
    }

    private static void sparsePlusDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            z.add(1).div(2).blend(1, z.compare(GE, 1)).blend(0, z.compare(LE, -1)).intoArray(a, k);
        }
    }

    private static void sparseSigmoidDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            ones(z.compare(GT, -1).and(z.compare(LT, 1)), 0.5).intoArray(a, k);
        }
    }

    private static void squareplusDerivative(double[] a, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            DoubleVector r = z.mul(z).add(4).lanewise(SQRT);
            DoubleVector.broadcast(DS, 2).div(r.mul(r.sub(z))).blend(z.div(r).add(1).div(2), z.compare(GE, 0))
                    .intoArray(a, k);
        }
    }

    /**
     * The plain loops' tanh: {@code 1 - 2 / (1 + e^{2x})}, and {@code x - x^3 / 3} below |x| = 1e-4. Not the Vector
     * API's TANH, which JDK 17 evaluates lane by lane on this machine (measured: 6 times slower than this).
     */
    private static DoubleVector tanh(DoubleVector x) {
        DoubleVector wide = DoubleVector.broadcast(DS, 1).sub(DoubleVector.broadcast(DS, 2).div(x.mul(2).lanewise(EXP)
                .add(1)));
        return wide.blend(x.sub(x.mul(x).mul(x).div(3)), x.abs().compare(LT, 1e-4));
    }

    // gelu runs in passes over the chunk, each a short loop of its own: in one loop, or even in three, its two
    // polynomials and three exps outgrow what C2 inlines into one method (NodeCountInliningCutoff: the Vector API's
    // operations expand into many nodes before they are optimised), and its vectors are then boxed on the heap.
    // Methods of their own are not enough: C2 inlined the short passes back into their caller (they are small), and
    // the caller then boxed (measured: 2.3-3.4 MB of boxed vectors per 128 x 512 forward and backward pass, 0.72 ms
    // against 0.38). So the passes are called through one call site that sees all of them (runPasses), which C2
    // does not inline, and each pass compiles on its own budget.
    // Stage arrays: 0 the values (and the result), 1 u = -x / sqrt 2, 2 erf's series of u, 3 exp(u^2) erfc(|u|),
    // 4 exp(-u^2), 5 (derivative only) exp(-x^2 / 2), then the near branch.

    /** One pass over a chunk's stage arrays. */
    private interface Pass {
        void run(double[][] stage, int m);
    }

    /** Stage arrays 1 to 4 from the values in 0 (see above). */
    private static final Pass MINUS_OVER_SQRT2 = (st, m) -> minusOverSqrt2(st[0], st[1], m);
    private static final Pass ERF_SMALL = (st, m) -> erfSmallPass(st[1], st[2], m);
    private static final Pass ERFC_SCALED = (st, m) -> erfcScaledPass(st[1], st[3], m);
    private static final Pass EXP_MINUS_SQUARE = (st, m) -> expMinusSquare(st[1], st[4], m);

    /** {@code x Phi(x)} with {@code Phi(x) = erfc(-x / sqrt 2) / 2}. */
    private static final Pass[] GELU_FORWARD = {MINUS_OVER_SQRT2, ERF_SMALL, ERFC_SCALED, EXP_MINUS_SQUARE,
            CpuActivationsVector::geluForwardPass};

    /**
     * {@code Phi(z) + z phi(z)}, both of the plain loop's branches and a blend: below |z| = sqrt 2 from erfc and an exp
     * of its own, above it from the one exp of Phi's tail and phi, and beyond 27 sqrt 2 the step.
     */
    private static final Pass[] GELU_DERIVATIVE = {MINUS_OVER_SQRT2, ERF_SMALL, ERFC_SCALED, EXP_MINUS_SQUARE,
            CpuActivationsVector::expMinusHalfSquarePass, CpuActivationsVector::geluNearPass,
            CpuActivationsVector::geluSlopePass};

    /** The passes in order, from one call site (see above: so that C2 compiles each pass apart). */
    private static void runPasses(Pass[] passes, double[][] stage, int m) {
        for (Pass p : passes) {
            p.run(stage, m);
        }
    }

    private static void geluForwardPass(double[][] stage, int m) {
        double[] a = stage[0];
        for (int k = 0; k < m; k += L) {
            DoubleVector x = at(a, k);
            x.mul(erfc(stage, k).mul(0.5)).intoArray(a, k);
        }
    }

    /** Stage 5: {@code exp(-z^2 / 2)}. */
    private static void expMinusHalfSquarePass(double[][] stage, int m) {
        double[] a = stage[0];
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            z.mul(-0.5).mul(z).lanewise(EXP).intoArray(stage[5], k);
        }
    }

    /** Stage 5 becomes the near branch {@code Phi(z) + z phi(z)} from erfc and {@code exp(-z^2 / 2)}. */
    private static void geluNearPass(double[][] stage, int m) {
        double[] a = stage[0];
        double[] e2 = stage[5];
        for (int k = 0; k < m; k += L) {
            DoubleVector zPhi = at(a, k).mul(CpuActivations.INV_SQRT_2PI);
            erfc(stage, k).mul(0.5).add(zPhi.mul(at(e2, k))).intoArray(e2, k);
        }
    }

    /** The far branch from Phi's tail and the blends: the near one (stage 5) below |z| = sqrt 2, the step past 27. */
    private static void geluSlopePass(double[][] stage, int m) {
        double[] a = stage[0];
        for (int k = 0; k < m; k += L) {
            DoubleVector z = at(a, k);
            DoubleVector u = at(stage[1], k);
            DoubleVector e = at(stage[4], k);
            DoubleVector abs = u.abs(); // |z| / sqrt 2, as the plain loop's: the product's rounding is symmetric
            DoubleVector zPhi = z.mul(CpuActivations.INV_SQRT_2PI);
            DoubleVector tail = e.mul(0.5).mul(at(stage[3], k));
            DoubleVector cdf = DoubleVector.broadcast(DS, 1).sub(tail).blend(tail, u.compare(GT, 0));
            cdf.add(zPhi.mul(e)).blend(at(stage[5], k), abs.compare(LE, 1))
                    .blend(ones(z.compare(GT, 0), 1), abs.compare(GT, 27)).intoArray(a, k);
        }
    }

    private static void minusOverSqrt2(double[] a, double[] u, int m) {
        for (int k = 0; k < m; k += L) {
            at(a, k).neg().mul(CpuActivations.INV_SQRT_2).intoArray(u, k);
        }
    }

    private static void expMinusSquare(double[] u, double[] e, int m) {
        for (int k = 0; k < m; k += L) {
            DoubleVector v = at(u, k);
            v.neg().mul(v).lanewise(EXP).intoArray(e, k);
        }
    }

    /**
     * {@link CpuActivations#erfc} of {@code u} (stage 1) from its parts: {@code 1 - erf(u)} below |u| = 1, else
     * {@code e^{-u^2}} times the scaled tail (or 2 minus that for negative u), 0 beyond |u| = 27.
     */
    private static DoubleVector erfc(double[][] stage, int k) {
        DoubleVector u = at(stage[1], k);
        DoubleVector tail = at(stage[4], k).mul(at(stage[3], k)).blend(0, u.abs().compare(GT, 27));
        return DoubleVector.broadcast(DS, 1).sub(at(stage[2], k)).blend(DoubleVector.broadcast(DS, 2).sub(tail),
                u.compare(LE, -1)).blend(tail, u.compare(GE, 1));
    }

    /**
     * The plain loop's erf below |u| = 1, its Maclaurin series by Estrin's scheme in the same fused steps. Written out
     * in the loop: as a method of its own C2 did not inline it, and boxed its vectors.
     */
    private static void erfSmallPass(double[] us, double[] small, int m) {
        double[] c = CpuActivations.ERF_TAYLOR;
        for (int k = 0; k < m; k += L) {
            DoubleVector u = at(us, k);
            DoubleVector x = u.mul(u);
            DoubleVector x2 = x.mul(x);
            DoubleVector x4 = x2.mul(x2);
            DoubleVector low = x.fma(c[7], c[6]).fma(x2, x.fma(c[5], c[4])).fma(x4,
                    x.fma(c[3], c[2]).fma(x2, x.fma(c[1], c[0])));
            DoubleVector high = x.fma(c[13], c[12]).fma(x4, x.fma(c[11], c[10]).fma(x2, x.fma(c[9], c[8])));
            u.mul(high.fma(x4.mul(x4), low)).intoArray(small, k);
        }
    }

    /**
     * The plain loop's {@code exp(u^2) erfc(u)} of |u| for |u| >= 1: the Chebyshev interpolant's polynomial by
     * Estrin's scheme, the same fused steps, written out in the loop as erfSmallPass.
     */
    private static void erfcScaledPass(double[] us, double[] scaled, int m) {
        double[] c = CpuActivations.ERFC_POLY;
        for (int k = 0; k < m; k += L) {
            DoubleVector u = at(us, k).abs();
            DoubleVector t = DoubleVector.broadcast(DS, 2).div(u).sub(1);
            DoubleVector t2 = t.mul(t);
            DoubleVector t4 = t2.mul(t2);
            DoubleVector t8 = t4.mul(t4);
            DoubleVector b0 = t.fma(c[3], c[2]).fma(t2, t.fma(c[1], c[0]));
            DoubleVector b1 = t.fma(c[7], c[6]).fma(t2, t.fma(c[5], c[4]));
            DoubleVector b2 = t.fma(c[11], c[10]).fma(t2, t.fma(c[9], c[8]));
            DoubleVector b3 = t.fma(c[15], c[14]).fma(t2, t.fma(c[13], c[12]));
            DoubleVector b4 = t.fma(c[19], c[18]).fma(t2, t.fma(c[17], c[16]));
            b4.fma(t8.mul(t8), b3.fma(t4, b2).fma(t8, b1.fma(t4, b0))).div(u).intoArray(scaled, k);
        }
    }

    /** {@code 1 / (1 + e^-x)}, as {@link CpuActivations#sigmoid}. */
    private static DoubleVector sigmoid(DoubleVector x) {
        return DoubleVector.broadcast(DS, 1).div(x.neg().lanewise(EXP).add(1));
    }

    /** {@code e / (1 + e)^2} with {@code e = e^-|z|}, as the plain loop's sigmoid derivative. */
    private static DoubleVector sigmoidSlope(DoubleVector z) {
        DoubleVector e = z.abs().neg().lanewise(EXP);
        DoubleVector d = e.add(1);
        return e.div(d.mul(d));
    }

    /** {@code max(x, 0) + log(1 + e^-|x|)}, as the plain loop's softplus. */
    private static DoubleVector softplus(DoubleVector x) {
        return x.max(0).add(x.abs().neg().lanewise(EXP).lanewise(LOG1P));
    }

    /** {@code x < low ? low : x > high ? high : x}: NaN stays NaN, and -0 stays -0, as the plain comparisons. */
    private static DoubleVector clamp(DoubleVector x, double low, double high) {
        return x.blend(high, x.compare(GT, high)).blend(low, x.compare(LT, low));
    }

    /** Keras's {@code relu6(x + 3) / 6}. */
    private static DoubleVector hardSigmoid(DoubleVector x) {
        return clamp(x.add(3), 0, 6).div(6);
    }

    /** {@code value} where {@code m} is set, else 0. */
    private static DoubleVector ones(VectorMask<Double> m, double value) {
        return DoubleVector.zero(DS).blend(value, m);
    }

    /**
     * {@code x - tanh x} below |x| = 0.1 from its series, Horner's rule in the plain loop's order, unrolled: a vector
     * carried around a loop is boxed by JDK 17.
     */
    private static DoubleVector tanhShrinkSeries(DoubleVector x) {
        double[] c = CpuActivations.TANH_SHRINK_SERIES;
        DoubleVector x2 = x.mul(x);
        DoubleVector p = x2.mul(c[6]).add(c[5]).mul(x2).add(c[4]).mul(x2).add(c[3]).mul(x2).add(c[2]).mul(x2).add(c[1])
                .mul(x2).add(c[0]);
        return x.mul(x2).mul(p);
    }
}
