package dev.dendrite.backend;

import static dev.dendrite.backend.OpChecks.*;

/**
 * The checks of the optimizer family ({@link OptimizerOps}): the slices first, then the scalars, then the
 * overlaps of the states an update writes.
 *
 * <p>Part of {@link OpChecks}, which implements every family's checks interface: one default method per op, named
 * after it, taking its arguments in its order (less those that need no check); the messages are those
 * {@link OpChecks} describes.
 */
interface OptimizerChecks extends SliceChecks {
    /** {@code velocity} may be null only with momentum 0. */
    default void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper, float momentum) {
        String op = "sgdUpdate";
        paramsAndGrads(op, params, grads, n);
        vectorOrNull(op, "velocity", velocity, n);
        hyper(op, hyper);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        momentumHasState(op, momentum, velocity, "velocity", "a velocity slice");
        if (velocity != null) {
            unitInterval(op, "momentum", momentum);
            apart(op, "velocity", velocity, n, n, "params", params, "grads", grads);
        }
    }

    /** {@code vMax} (AMSGrad) may be null. */
    default void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                            Slice counters, float beta1, float beta2, float eps) {
        String op = "adamUpdate";
        twoMomentStates(op, params, grads, "m", m, "v", v, vMax, n, hyper, counters, beta1, beta2, eps);
        if (vMax != null) {
            apart(op, "vMax", vMax, n, n, "v", v, "m", m, "params", params);
        }
    }

    /** {@code mom} may be null only with momentum 0; {@code mg} (centered) may be null. */
    default void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                               float rho, float momentum, float eps) {
        String op = "rmspropUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "ms", ms, n);
        vectorOrNull(op, "mom", mom, n);
        vectorOrNull(op, "mg", mg, n);
        hyper(op, hyper);
        unitInterval(op, "rho", rho);
        checkEps(op, eps);
        momentumHasState(op, momentum, mom, "mom", "a momentum slice");
        unitInterval(op, "momentum", momentum);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "ms", ms, n, "params", params, n, false); // once the OpenCL backend's rule alone
    }

    default void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        String op = "adagradUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "accumulator", accumulator, n);
        hyper(op, hyper);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "accumulator", accumulator, n, "params", params, n, false);
    }

    default void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                              float beta1, float beta2, float eps) {
        String op = "adamaxUpdate";
        twoMomentStates(op, params, grads, "m", m, "u", u, null, n, hyper, counters, beta1, beta2, eps);
    }

    default void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        String op = "nadamUpdate";
        twoMomentStates(op, params, grads, "m", m, "v", v, null, n, hyper, counters, beta1, beta2, eps);
    }

    default void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        String op = "lionUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "m", m, n);
        hyper(op, hyper);
        unitInterval(op, "beta1", beta1);
        unitInterval(op, "beta2", beta2);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        apart(op, "m", m, n, n, "params", params, "grads", grads);
    }

    default void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                                float rho, float eps) {
        String op = "adadeltaUpdate";
        paramsAndGrads(op, params, grads, n);
        vectors(op, n, "accGrad", accGrad, "accDelta", accDelta);
        hyper(op, hyper);
        unitInterval(op, "rho", rho);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        apart(op, "accGrad", accGrad, n, n, "accDelta", accDelta, "params", params);
        noOverlap(op, "accDelta", accDelta, n, "params", params, n, false);
    }

    /** Keras's ranges: {@code lrPower <= 0}, the strengths and beta {@code >= 0}, all finite. */
    default void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                            float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        String op = "ftrlUpdate";
        paramsAndGrads(op, params, grads, n);
        vectors(op, n, "accumulator", accumulator, "linear", linear);
        hyper(op, hyper);
        if (!(lrPower <= 0f) || Float.isInfinite(lrPower)) {
            throw new IllegalArgumentException(op + ": lrPower " + lrPower + "; expected a finite value <= 0");
        }
        float[] strengths = {l1, l2, l2Shrinkage, beta};
        String[] names = {"l1", "l2", "l2Shrinkage", "beta"};
        for (int i = 0; i < strengths.length; i++) {
            if (!(strengths[i] >= 0f) || Float.isInfinite(strengths[i])) {
                throw new IllegalArgumentException(op + ": " + names[i] + " " + strengths[i]
                        + "; expected a finite value >= 0");
            }
        }
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        apart(op, "accumulator", accumulator, n, n, "linear", linear, "params", params);
        noOverlap(op, "linear", linear, n, "params", params, n, false);
    }

    default void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        twoMomentStates("lambUpdate", params, grads, "m", m, "v", v, null, n, hyper, counters, beta1, beta2, eps);
    }

    /**
     * {@code rows, cols >= 0} with a product that fits an int; {@code beta2Decay <= 0}, the epsilons {@code >= 0},
     * all finite; {@code clipThreshold > 0} and finite.
     */
    default void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                 Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                 float clipThreshold) {
        String op = "adafactorUpdate";
        sizes(op, rows, cols);
        long size = (long) rows * cols;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": rows " + rows + " x cols " + cols + " = " + size
                    + " elements; expected at most " + Integer.MAX_VALUE);
        }
        int n = (int) size;
        paramsAndGrads(op, params, grads, n);
        vector(op, "accumulator", accumulator, n);
        hyper(op, hyper);
        counters(op, counters);
        if (!(beta2Decay <= 0f) || Float.isInfinite(beta2Decay)) {
            throw new IllegalArgumentException(op + ": beta2Decay " + beta2Decay + "; expected a finite value <= 0");
        }
        float[] epsilons = {epsilon1, epsilon2};
        String[] names = {"epsilon1", "epsilon2"};
        for (int i = 0; i < epsilons.length; i++) {
            if (!(epsilons[i] >= 0f) || Float.isInfinite(epsilons[i])) {
                throw new IllegalArgumentException(op + ": " + names[i] + " " + epsilons[i]
                        + "; expected a finite value >= 0");
            }
        }
        if (!(clipThreshold > 0f) || Float.isInfinite(clipThreshold)) {
            throw new IllegalArgumentException(op + ": clipThreshold " + clipThreshold
                    + "; expected a finite value > 0");
        }
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        apart(op, "accumulator", accumulator, n, n, "params", params, "grads", grads);
    }

    /** {@code weightDecay >= 0} and finite. */
    default void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        String op = "weightDecay";
        nonNegative(op, "n", n);
        vector(op, "params", params, n);
        hyper(op, hyper);
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException(op + ": weightDecay " + weightDecay + "; expected a finite value >= 0");
        }
    }

    /** clipByValue and clipByNorm: {@code grads} of n elements and a finite bound {@code > 0}. */
    default void clip(String op, String name, Slice grads, int n, float bound) {
        nonNegative(op, "n", n);
        vector(op, "grads", grads, n);
        if (!(bound > 0f) || Float.isInfinite(bound)) {
            throw new IllegalArgumentException(op + ": " + name + " " + bound + "; expected a finite value > 0");
        }
    }

    /**
     * Adam and its kin (Adamax, Nadam, Lamb): two moment states beside the parameters, and AMSGrad's optional
     * {@code vMax} (null for the others; its overlaps are Adam's to check), betas in [0, 1), the step counter.
     * No two of the updated states overlap (once the OpenCL backend's rule alone).
     */
    private void twoMomentStates(String op, Slice params, Slice grads, String n1, Slice s1, String n2, Slice s2,
                                 Slice vMax, int n, Slice hyper, Slice counters, float beta1, float beta2,
                                 float eps) {
        paramsAndGrads(op, params, grads, n);
        vectors(op, n, n1, s1, n2, s2);
        vectorOrNull(op, "vMax", vMax, n);
        hyper(op, hyper);
        counters(op, counters);
        halfOpenUnit(op, "beta1", beta1);
        halfOpenUnit(op, "beta2", beta2);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, n1, s1, n, n2, s2, n, false);
        apart(op, "params", params, n, n, n1, s1, n2, s2);
    }

    /** What every optimizer starts with: {@code n >= 0}, then the parameters and their gradients, n of each. */
    private void paramsAndGrads(String op, Slice params, Slice grads, int n) {
        nonNegative(op, "n", n);
        vectors(op, n, "params", params, "grads", grads);
    }
}
