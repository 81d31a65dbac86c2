package dev.dendrite.backend.cpu;

/**
 * The inner loops of the optimizers a course compares, Adam (with AMSGrad), SGD with momentum, RMSprop (with its
 * momentum and centering), Adagrad, Adadelta, Adamax, Nadam and Lion, over element ranges {@code [from, to)} of
 * arrays indexed alike. {@link #SCALAR} is the definition; with {@code jdk.incubator.vector}
 * {@link CpuOptimizerLoopsVector} runs the same float operations in the same order a vector at a time, so it gives
 * the same bits. {@code -Ddendrite.optimizer.scalar=true} keeps the scalar loops.
 *
 * <p><b>Subnormal states are stored as zero.</b> A weight whose input is mostly zero (a border pixel, a unit that
 * rarely fires) gets a rare non-zero gradient, after which its momentum decays geometrically through the subnormal
 * range (below {@link Float#MIN_NORMAL}, 2^-126) for about 150 steps with {@code beta1 = 0.9}. x86 cores compute on and
 * into subnormals through microcode assists, about a hundred times slower, and Java cannot set the flush-to-zero flags
 * (TensorFlow sets them in its CPU threads; PyTorch has {@code torch.set_flush_denormal}). Measured on a 2-core Intel
 * Xeon (AVX-512): Adam over 669,706 parameters took 0.60 ms a step with no subnormal moment and 5.5 ms with 5% of them
 * subnormal, and the count grows over training (bench/RESULTS.md). So Adam's {@code m} and {@code v} and SGD's velocity
 * go through {@link #flushSubnormal} before they are stored or used. What that changes is below the parameter's
 * rounding: a velocity under 2^-126 moves no parameter of magnitude 2^-102 or more, and Adam's step from such an
 * {@code m} is under {@code lrT 2^-126 / eps}; a {@code v} under 2^-126 adds under 2^-63 to {@code sqrt(v)}, lost
 * against any {@code eps} above 2^-39.
 *
 * <p>Adam's step is {@code m / (sqrt(v) + eps) * lrT}, not {@code lrT m / (sqrt(v) + eps)} (the same two roundings,
 * so the same accuracy): with {@code lrT} near 1e-3, the product {@code lrT m} is itself subnormal for every
 * {@code m} below about 1e-35, which a flushed {@code m} still passes through for some 60 steps on its way to zero.
 * The quotient first stays normal whenever the denominator {@code sqrt(v) + eps} is at most 1, that is whenever the
 * gradients' root mean square is below 1, as in the course's networks. Measured with a simulated rarely-active 30%
 * of 669,706 parameters (same machine, one thread): 5.3 ms a step unflushed, 1.5 ms flushed, 1.1 ms flushed and
 * reordered, against 0.9 ms with no rare parameters at all (bench/RESULTS.md, OptimizerSubnormalBenchmark).
 *
 * <p>RMSprop, Adagrad, Adadelta, Adamax, Nadam and Lion have float loops of their own too, the GPUs' rules of
 * kernels/common/optimizers.h with their decaying states flushed the same way (but Lion's, see {@link Kernel#lion}).
 * The other optimizers (LAMB, Ftrl, Adafactor) run their double-precision definitions directly (CpuOptimizerOps),
 * where a subnormal costs the same relative amount but the loop is already slower.
 *
 * <p>The scalar loops flush with a conditional per element, which keeps JDK 17's C2 from vectorising them
 * (measured 3.3-4.4 ms against 0.5-0.6 ms a step when nothing is subnormal); they are the fallback for JVMs started
 * without the Vector API module, whose GEMM is slower still.
 */
final class CpuOptimizerLoops {
    /** The loops over one range; every array is indexed by the same element index. */
    interface Kernel {
        /**
         * Keras Adam: {@code m = flush(beta1 m + (1 - beta1) g)}, {@code v = flush(beta2 v + (1 - beta2) g^2)},
         * {@code p -= m / (sqrt(v) + eps) * lrT}; with AMSGrad ({@code vMax} non-null) {@code vMax = max(vMax, v)}
         * replaces {@code v} in the step. {@code 1 - beta1 = b1cHi + b1cLo} to 48 bits; {@code b2c = 1 - beta2}.
         */
        void adam(float[] p, float[] g, float[] m, float[] v, float[] vMax, int from, int to, float lrT,
                  float beta1, float b1cHi, float b1cLo, float beta2, float b2c, float eps);

        /**
         * Keras SGD with momentum: {@code v = flush(momentum v - lr g)}, then {@code p += v}, or with Nesterov
         * {@code p += momentum v - lr g}.
         */
        void sgdMomentum(float[] p, float[] g, float[] v, int from, int to, float lr, float momentum,
                         boolean nesterov);

        /**
         * Keras RMSprop without momentum or centering (its defaults), the GPUs' float rule: {@code s = flush(rho s +
         * rhoC g^2)} ({@code rhoC = 1 - rho}), then {@code p -= lr g / sqrt(s + eps)}.
         */
        void rmsprop(float[] p, float[] g, float[] s, int from, int to, float lr, float rho, float rhoC, float eps);

        /**
         * Keras RMSprop with momentum, the GPUs' float rule: {@code s} as {@link #rmsprop}, {@code inc = lr g /
         * sqrt(s + eps)}, {@code mom = flush(momentum mom + inc)} (one fma), {@code p -= mom}. RMSprop's options are
         * three loops, not one with null tests: a C2 compilation that inlined two of them boxed its vectors
         * (CpuOptimizerLoopsVector).
         */
        void rmspropMomentum(float[] p, float[] g, float[] s, float[] mom, int from, int to, float lr, float rho,
                             float rhoC, float momentum, float eps);

        /**
         * Keras RMSprop centered, the GPUs' float rule: {@code s} as {@link #rmsprop}, {@code mg = flush(dot2(rho, mg,
         * rhoC, g))}, {@code p -= lr g / sqrt(fma(-mg, mg, s) + eps)} (one rounding where {@code s - mg^2} cancels).
         */
        void rmspropCentered(float[] p, float[] g, float[] s, float[] mg, int from, int to, float lr, float rho,
                             float rhoC, float eps);

        /** Keras RMSprop centered and with momentum: {@link #rmspropCentered}'s increment into the momentum. */
        void rmspropCenteredMomentum(float[] p, float[] g, float[] s, float[] mom, float[] mg, int from, int to,
                                     float lr, float rho, float rhoC, float momentum, float eps);

        /** Keras Adagrad, the GPUs' float rule: {@code a += g^2}, then {@code p -= lr g / sqrt(a + eps)}. */
        void adagrad(float[] p, float[] g, float[] a, int from, int to, float lr, float eps);

        /**
         * Keras Adadelta, the GPUs' float rule: {@code ag = flush(rho ag + rhoC g^2)}, {@code delta = -sqrt(ad + eps)
         * g / sqrt(ag + eps)}, {@code ad = flush(rho ad + rhoC delta^2)}, {@code p += lr delta}; each moving mean a
         * {@link #dot2}.
         */
        void adadelta(float[] p, float[] g, float[] ag, float[] ad, int from, int to, float lr, float rho, float rhoC,
                      float eps);

        /**
         * Keras Adamax, the GPUs' float rule with both states flushed: {@code m = flush(dot2(beta1, m, b1c, g))}
         * ({@code b1c = 1 - beta1}), {@code u = flush(max(beta2 u, |g|))} (Math.max: a NaN in either makes u NaN,
         * as Keras's maximum does), then {@code p -= m / (u + eps) * stepSize}, {@code stepSize = lr / (1 - beta1^t)};
         * the quotient first, as in {@link #adam}.
         */
        void adamax(float[] p, float[] g, float[] m, float[] u, int from, int to, float stepSize, float beta1,
                    float b1c, float beta2, float eps);

        /**
         * Keras Nadam, the GPUs' float rule with both moments flushed: {@code m = flush(dot2(beta1, m, b1c, g))},
         * {@code v = flush(dot2(beta2, v, b2c, g^2))}, {@code mHat = dot2(cm, m, cg, g)}, then
         * {@code p -= mHat / (sqrt(cv v) + eps) * lr}, with the step's coefficients {@code cm}, {@code cg} and
         * {@code cv} of dendrite_nadam_coefficients.
         */
        void nadam(float[] p, float[] g, float[] m, float[] v, int from, int to, float lr, float beta1, float b1c,
                   float beta2, float b2c, float cm, float cg, float cv, float eps);

        /**
         * Keras Lion, the GPUs' float rule: {@code c = dot2(beta1, m, b1c, g)}, {@code p -= lr sign(c)} (sign 0 and
         * NaN kept), {@code m = dot2(beta2, m, b2c, g)}. Its moment is <em>not</em> flushed: the step is the sign of
         * {@code c}, which a subnormal moment still has, so a flush would stop weights that Keras moves by lr.
         */
        void lion(float[] p, float[] g, float[] m, int from, int to, float lr, float beta1, float b1c, float beta2,
                  float b2c);
    }

    /**
     * {@code a b + c d} within about two ulps however much the products cancel: the GPUs' dendrite_dot2
     * (kernels/common/sums.h), the rounding error of {@code c d} recovered by an fma and added back.
     */
    static float dot2(float a, float b, float c, float d) {
        float cd = c * d;
        float cdError = Math.fma(c, d, -cd);
        return Math.fma(a, b, cd) + cdError;
    }

    /** The definition. */
    static final Kernel SCALAR = new Scalar();
    private static final Kernel VECTOR =
            CpuVectorKernels.load(Kernel.class, "CpuOptimizerLoopsVector", "dendrite.optimizer.scalar");

    private CpuOptimizerLoops() {
    }

    static Kernel kernel() {
        return VECTOR != null ? VECTOR : SCALAR;
    }

    /** Whether the vector loops are in use (the JVM was started with {@code --add-modules jdk.incubator.vector}). */
    static boolean vectorised() {
        return VECTOR != null;
    }

    /** {@code x}, or {@code +0} when {@code |x|} is below the smallest normal float (NaN stays NaN). */
    static float flushSubnormal(float x) {
        return Math.abs(x) < Float.MIN_NORMAL ? 0f : x;
    }

    /**
     * Adam's first moment {@code beta1 m + (b1cHi + b1cLo) g}, with the product {@code b1cHi g} split exactly into
     * value and error by an fma: {@code m} can cancel (the new gradient against the old average), and this keeps
     * the result within two roundings of the exact one however much cancels, as the GPUs' dendrite_dot2 does.
     */
    static float firstMoment(float m, float g, float beta1, float b1cHi, float b1cLo) {
        float prod = b1cHi * g;
        float err = Math.fma(b1cHi, g, -prod) + b1cLo * g;
        return Math.fma(beta1, m, prod) + err;
    }

    /**
     * The scalar loops. Accuracy against the double-precision definition: {@code v} is a sum of two non-negative
     * terms, within a few ulps; {@code m} is {@link #firstMoment}; the step has a relative error of a few float ulps,
     * far below its own size against the parameter. SGD's velocity is the sum of two products keeping the rounding
     * error of {@code lr g} (the GPUs' dendrite_dot2): when the gradient turns, {@code momentum v} and {@code lr g}
     * cancel, and the plain float expression would be off by an ulp of the products rather than of the result.
     */
    private static final class Scalar implements Kernel {
        @Override
        public void adam(float[] p, float[] g, float[] m, float[] v, float[] vMax, int from, int to, float lrT,
                         float beta1, float b1cHi, float b1cLo, float beta2, float b2c, float eps) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float mi = flushSubnormal(firstMoment(m[i], gi, beta1, b1cHi, b1cLo));
                float vi = flushSubnormal(Math.fma(beta2, v[i], b2c * (gi * gi)));
                m[i] = mi;
                v[i] = vi;
                if (vMax != null) {
                    vi = Math.max(vMax[i], vi);
                    vMax[i] = vi;
                }
                p[i] = p[i] - mi / ((float) Math.sqrt(vi) + eps) * lrT;
            }
        }

        @Override
        public void sgdMomentum(float[] p, float[] g, float[] v, int from, int to, float lr, float momentum,
                                boolean nesterov) {
            for (int i = from; i < to; i++) {
                float step = -lr * g[i];
                float stepError = Math.fma(-lr, g[i], -step);
                float vi = flushSubnormal(Math.fma(momentum, v[i], step) + stepError);
                v[i] = vi;
                p[i] += nesterov ? Math.fma(momentum, vi, step) + stepError : vi;
            }
        }

        @Override
        public void rmsprop(float[] p, float[] g, float[] s, int from, int to, float lr, float rho, float rhoC,
                            float eps) {
            rmspropOptions(p, g, s, null, null, from, to, lr, rho, rhoC, 0f, eps);
        }

        @Override
        public void rmspropMomentum(float[] p, float[] g, float[] s, float[] mom, int from, int to, float lr,
                                    float rho, float rhoC, float momentum, float eps) {
            rmspropOptions(p, g, s, mom, null, from, to, lr, rho, rhoC, momentum, eps);
        }

        @Override
        public void rmspropCentered(float[] p, float[] g, float[] s, float[] mg, int from, int to, float lr,
                                    float rho, float rhoC, float eps) {
            rmspropOptions(p, g, s, null, mg, from, to, lr, rho, rhoC, 0f, eps);
        }

        @Override
        public void rmspropCenteredMomentum(float[] p, float[] g, float[] s, float[] mom, float[] mg, int from,
                                            int to, float lr, float rho, float rhoC, float momentum, float eps) {
            rmspropOptions(p, g, s, mom, mg, from, to, lr, rho, rhoC, momentum, eps);
        }

        /**
         * RMSprop and its options in one loop, the definition of all four: a null {@code mom} is no momentum, a null
         * {@code mg} not centered.
         */
        private static void rmspropOptions(float[] p, float[] g, float[] s, float[] mom, float[] mg, int from,
                                           int to, float lr, float rho, float rhoC, float momentum, float eps) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float si = flushSubnormal(Math.fma(rho, s[i], rhoC * (gi * gi)));
                s[i] = si;
                float denom = si;
                if (mg != null) {
                    float ai = flushSubnormal(dot2(rho, mg[i], rhoC, gi));
                    mg[i] = ai;
                    denom = Math.fma(-ai, ai, si);
                }
                float inc = lr * gi / (float) Math.sqrt(denom + eps);
                if (mom != null) {
                    float vi = flushSubnormal(Math.fma(momentum, mom[i], inc));
                    mom[i] = vi;
                    p[i] = p[i] - vi;
                } else {
                    p[i] = p[i] - inc;
                }
            }
        }

        @Override
        public void adagrad(float[] p, float[] g, float[] a, int from, int to, float lr, float eps) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float ai = Math.fma(gi, gi, a[i]);
                a[i] = ai;
                p[i] = p[i] - lr * gi / (float) Math.sqrt(ai + eps);
            }
        }

        @Override
        public void adadelta(float[] p, float[] g, float[] ag, float[] ad, int from, int to, float lr, float rho,
                             float rhoC, float eps) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float agi = flushSubnormal(dot2(rho, ag[i], rhoC, gi * gi));
                ag[i] = agi;
                float delta = -(float) Math.sqrt(ad[i] + eps) * gi / (float) Math.sqrt(agi + eps);
                ad[i] = flushSubnormal(dot2(rho, ad[i], rhoC, delta * delta));
                p[i] = Math.fma(lr, delta, p[i]);
            }
        }

        @Override
        public void adamax(float[] p, float[] g, float[] m, float[] u, int from, int to, float stepSize, float beta1,
                           float b1c, float beta2, float eps) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float mi = flushSubnormal(dot2(beta1, m[i], b1c, gi));
                float ui = flushSubnormal(Math.max(beta2 * u[i], Math.abs(gi)));
                m[i] = mi;
                u[i] = ui;
                p[i] = p[i] - mi / (ui + eps) * stepSize;
            }
        }

        @Override
        public void nadam(float[] p, float[] g, float[] m, float[] v, int from, int to, float lr, float beta1,
                          float b1c, float beta2, float b2c, float cm, float cg, float cv, float eps) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float mi = flushSubnormal(dot2(beta1, m[i], b1c, gi));
                float vi = flushSubnormal(dot2(beta2, v[i], b2c, gi * gi));
                m[i] = mi;
                v[i] = vi;
                float mHat = dot2(cm, mi, cg, gi);
                p[i] = p[i] - mHat / ((float) Math.sqrt(cv * vi) + eps) * lr;
            }
        }

        @Override
        public void lion(float[] p, float[] g, float[] m, int from, int to, float lr, float beta1, float b1c,
                         float beta2, float b2c) {
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float mi = m[i];
                float c = dot2(beta1, mi, b1c, gi);
                float sign = c > 0f ? 1f : c < 0f ? -1f : c;
                p[i] = p[i] - lr * sign;
                m[i] = dot2(beta2, mi, b2c, gi);
            }
        }
    }
}
