package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * {@link CpuOptimizerLoops}: the vector loops give the scalar definition's bits (tolerance zero: they run the same
 * float operations in the same order), no subnormal state survives a step, and the flush leaves a long run of
 * updates within float rounding of the unflushed definition evaluated in double.
 */
class CpuOptimizerLoopsTest {
    private static final float TINY = Float.MIN_NORMAL;
    /** Nadam's coefficients late in training (step ~1000 of beta1 = 0.9, beta2 = 0.999): cm ~ beta1, cg ~ 1 - u. */
    private static final float NADAM_CM = 0.9f;
    private static final float NADAM_CG = 0.1f;
    private static final float NADAM_CV = 1.58f;

    @Test
    void theVectorLoopsAreInUseUnderTheTestJvm() {
        // Surefire starts the JVM with --add-modules jdk.incubator.vector (java/pom.xml), as the README tells users.
        assertTrue(CpuOptimizerLoops.vectorised(),
                "jdk.incubator.vector is in the boot layer, so the vector loops load");
    }

    @Test
    void flushSubnormalKeepsNormalsZeroesAndNaN() {
        assertEquals(0f, CpuOptimizerLoops.flushSubnormal(Float.MIN_VALUE));
        assertEquals(0f, CpuOptimizerLoops.flushSubnormal(-Math.nextDown(TINY)));
        assertEquals(TINY, CpuOptimizerLoops.flushSubnormal(TINY));
        assertEquals(-TINY, CpuOptimizerLoops.flushSubnormal(-TINY));
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(CpuOptimizerLoops.flushSubnormal(-0f)));
        assertTrue(Float.isNaN(CpuOptimizerLoops.flushSubnormal(Float.NaN)));
        assertEquals(Float.NEGATIVE_INFINITY, CpuOptimizerLoops.flushSubnormal(Float.NEGATIVE_INFINITY));
    }

    @Test
    void vectorAdamEqualsTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            boolean ams = rnd.nextBoolean();
            float[][] scalar = {values(rnd, n), values(rnd, n), values(rnd, n), positives(rnd, n),
                    ams ? positives(rnd, n) : null};
            float[][] vector = copy(scalar);
            float beta1 = trial == 0 ? 0.9f : (float) rnd.nextDouble();
            float beta2 = trial == 0 ? 0.999f : (float) rnd.nextDouble();
            double b1c = 1.0 - beta1;
            float b1cHi = (float) b1c;
            float b1cLo = (float) (b1c - b1cHi);
            float b2c = (float) (1.0 - beta2);
            float lrT = (float) Math.pow(10, -1 - 4 * rnd.nextDouble());
            float eps = (float) Math.pow(10, -3 - 6 * rnd.nextDouble());
            CpuOptimizerLoops.SCALAR.adam(scalar[0], scalar[1], scalar[2], scalar[3], scalar[4], from, to, lrT,
                    beta1, b1cHi, b1cLo, beta2, b2c, eps);
            CpuOptimizerLoops.kernel().adam(vector[0], vector[1], vector[2], vector[3], vector[4], from, to, lrT,
                    beta1, b1cHi, b1cLo, beta2, b2c, eps);
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + "), amsgrad " + ams;
            assertSameArrays(scalar, vector, new String[] {"params", "grads", "m", "v", "vMax"}, what);
        }
    }

    @Test
    void vectorSgdMomentumEqualsTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            boolean nesterov = rnd.nextBoolean();
            float[][] scalar = {values(rnd, n), values(rnd, n), values(rnd, n)};
            float[][] vector = copy(scalar);
            float lr = (float) Math.pow(10, -1 - 3 * rnd.nextDouble());
            float momentum = (float) rnd.nextDouble();
            CpuOptimizerLoops.SCALAR.sgdMomentum(scalar[0], scalar[1], scalar[2], from, to, lr, momentum, nesterov);
            CpuOptimizerLoops.kernel().sgdMomentum(vector[0], vector[1], vector[2], from, to, lr, momentum, nesterov);
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + "), nesterov " + nesterov;
            assertSameArrays(scalar, vector, new String[] {"params", "grads", "velocity"}, what);
        }
    }

    @Test
    void vectorRmspropAndAdagradEqualTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            boolean rmsprop = rnd.nextBoolean();
            float[][] scalar = {values(rnd, n), values(rnd, n), positives(rnd, n)};
            float[][] vector = copy(scalar);
            float lr = (float) Math.pow(10, -1 - 3 * rnd.nextDouble());
            float rho = trial == 0 ? 0.9f : (float) rnd.nextDouble();
            float eps = (float) Math.pow(10, -3 - 6 * rnd.nextDouble());
            if (rmsprop) {
                float rhoC = (float) (1.0 - rho);
                CpuOptimizerLoops.SCALAR.rmsprop(scalar[0], scalar[1], scalar[2], from, to, lr, rho, rhoC, eps);
                CpuOptimizerLoops.kernel().rmsprop(vector[0], vector[1], vector[2], from, to, lr, rho, rhoC, eps);
            } else {
                CpuOptimizerLoops.SCALAR.adagrad(scalar[0], scalar[1], scalar[2], from, to, lr, eps);
                CpuOptimizerLoops.kernel().adagrad(vector[0], vector[1], vector[2], from, to, lr, eps);
            }
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + "), "
                    + (rmsprop ? "rmsprop" : "adagrad");
            assertSameArrays(scalar, vector, new String[] {"params", "grads", "state"}, what);
        }
    }

    @Test
    void vectorRmspropWithItsOptionsEqualsTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            boolean momentum = trial % 3 != 1;
            boolean centered = trial % 3 != 2;
            float[][] scalar = {values(rnd, n), values(rnd, n), positives(rnd, n), values(rnd, n), values(rnd, n)};
            float[][] vector = copy(scalar);
            float lr = (float) Math.pow(10, -1 - 3 * rnd.nextDouble());
            float rho = trial < 3 ? 0.9f : (float) rnd.nextDouble();
            float rhoC = (float) (1.0 - rho);
            float mom = trial < 3 ? 0.9f : (float) rnd.nextDouble();
            float eps = (float) Math.pow(10, -3 - 6 * rnd.nextDouble());
            rmsprop(CpuOptimizerLoops.SCALAR, scalar, momentum, centered, from, to, lr, rho, rhoC, mom, eps);
            rmsprop(CpuOptimizerLoops.kernel(), vector, momentum, centered, from, to, lr, rho, rhoC, mom, eps);
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + "), momentum " + momentum
                    + ", centered " + centered;
            String[] names = {"params", "grads", "mean square", "momentum", "mean gradient"};
            assertSameArrays(scalar, vector, names, what);
        }
    }

    /** RMSprop's loop for the options: {@code a} holds params, grads, s, the momentum and the mean gradient. */
    private static void rmsprop(CpuOptimizerLoops.Kernel k, float[][] a, boolean momentum, boolean centered,
                                int from, int to, float lr, float rho, float rhoC, float mom, float eps) {
        if (momentum && centered) {
            k.rmspropCenteredMomentum(a[0], a[1], a[2], a[3], a[4], from, to, lr, rho, rhoC, mom, eps);
        } else if (momentum) {
            k.rmspropMomentum(a[0], a[1], a[2], a[3], from, to, lr, rho, rhoC, mom, eps);
        } else {
            k.rmspropCentered(a[0], a[1], a[2], a[4], from, to, lr, rho, rhoC, eps);
        }
    }

    @Test
    void vectorAdadeltaEqualsTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            float[][] scalar = {values(rnd, n), values(rnd, n), positives(rnd, n), positives(rnd, n)};
            float[][] vector = copy(scalar);
            float lr = trial == 0 ? 1f : (float) Math.pow(10, -3 * rnd.nextDouble());
            float rho = trial == 0 ? 0.95f : (float) rnd.nextDouble();
            float rhoC = (float) (1.0 - rho);
            float eps = (float) Math.pow(10, -3 - 6 * rnd.nextDouble());
            CpuOptimizerLoops.SCALAR.adadelta(scalar[0], scalar[1], scalar[2], scalar[3], from, to, lr, rho, rhoC, eps);
            CpuOptimizerLoops.kernel().adadelta(vector[0], vector[1], vector[2], vector[3], from, to, lr, rho, rhoC,
                    eps);
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + ")";
            assertSameArrays(scalar, vector,
                    new String[] {"params", "grads", "accumulated gradients", "accumulated deltas"}, what);
        }
    }

    @Test
    void vectorAdamaxAndNadamEqualTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            boolean adamax = rnd.nextBoolean();
            float[][] scalar = {values(rnd, n), values(rnd, n), values(rnd, n), positives(rnd, n)};
            if (trial % 10 == 1) { // NaN gradients and states: the vector choice of u must keep the same lane
                scalar[1][rnd.nextInt(n)] = Float.NaN;
                scalar[3][rnd.nextInt(n)] = Float.NaN;
            }
            float[][] vector = copy(scalar);
            float beta1 = trial == 0 ? 0.9f : (float) rnd.nextDouble();
            float beta2 = trial == 0 ? 0.999f : (float) rnd.nextDouble();
            float b1c = (float) (1.0 - beta1);
            float b2c = (float) (1.0 - beta2);
            float lr = (float) Math.pow(10, -1 - 4 * rnd.nextDouble());
            float eps = (float) Math.pow(10, -3 - 6 * rnd.nextDouble());
            if (adamax) {
                CpuOptimizerLoops.SCALAR.adamax(scalar[0], scalar[1], scalar[2], scalar[3], from, to, lr, beta1, b1c,
                        beta2, eps);
                CpuOptimizerLoops.kernel().adamax(vector[0], vector[1], vector[2], vector[3], from, to, lr, beta1, b1c,
                        beta2, eps);
            } else {
                float cm = (float) rnd.nextDouble();
                float cg = (float) rnd.nextDouble();
                float cv = 1 + (float) (1000 * rnd.nextDouble());
                CpuOptimizerLoops.SCALAR.nadam(scalar[0], scalar[1], scalar[2], scalar[3], from, to, lr, beta1, b1c,
                        beta2, b2c, cm, cg, cv, eps);
                CpuOptimizerLoops.kernel().nadam(vector[0], vector[1], vector[2], vector[3], from, to, lr, beta1, b1c,
                        beta2, b2c, cm, cg, cv, eps);
            }
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + "), "
                    + (adamax ? "adamax" : "nadam");
            assertSameArrays(scalar, vector, new String[] {"params", "grads", "m", adamax ? "u" : "v"}, what);
        }
    }

    @Test
    void vectorLionEqualsTheScalarDefinition() {
        SplittableRandom rnd = seeded();
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(200);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            float[][] scalar = {values(rnd, n), values(rnd, n), values(rnd, n)};
            if (trial % 10 == 1) { // NaN and signed-zero moments: the sign must keep them as the scalar rule does
                scalar[1][rnd.nextInt(n)] = Float.NaN;
                scalar[2][rnd.nextInt(n)] = -0f;
                scalar[1][rnd.nextInt(n)] = 0f;
            }
            float[][] vector = copy(scalar);
            float beta1 = trial == 0 ? 0.9f : (float) rnd.nextDouble();
            float beta2 = trial == 0 ? 0.99f : (float) rnd.nextDouble();
            float lr = (float) Math.pow(10, -1 - 4 * rnd.nextDouble());
            float b1c = (float) (1.0 - beta1);
            float b2c = (float) (1.0 - beta2);
            CpuOptimizerLoops.SCALAR.lion(scalar[0], scalar[1], scalar[2], from, to, lr, beta1, b1c, beta2, b2c);
            CpuOptimizerLoops.kernel().lion(vector[0], vector[1], vector[2], from, to, lr, beta1, b1c, beta2, b2c);
            String what = "trial " + trial + ", n " + n + ", range [" + from + ", " + to + ")";
            assertSameArrays(scalar, vector, new String[] {"params", "grads", "m"}, what);
        }
    }

    @Test
    void lionKeepsASubnormalMomentAndItsSign() {
        // Keras moves a weight by lr whenever beta1 m + (1 - beta1) g is non-zero, a subnormal moment included.
        float tiny = Float.MIN_VALUE * 8;
        float[] p = {1f, 1f};
        float[] g = {0f, 0f};
        float[] m = {tiny, -tiny};
        CpuOptimizerLoops.kernel().lion(p, g, m, 0, 2, 0.5f, 0.5f, 0.5f, 0.99f, 0.01f);
        assertEquals(0.5f, p[0], "a positive subnormal moment steps down by lr");
        assertEquals(1.5f, p[1], "a negative one steps up");
        assertTrue(m[0] > 0 && m[1] < 0, "the moments are not flushed: " + m[0] + ", " + m[1]);
    }

    @Test
    void aNanGradientMakesAdamaxsNormNan() {
        // Keras's u = maximum(beta2 u, |g|) propagates NaN; a plain a > decayed test would keep the old norm.
        float[] p = {1f, 1f};
        float[] g = {Float.NaN, 0.5f};
        float[] m = {0f, 0f};
        float[] u = {2f, 2f};
        CpuOptimizerLoops.SCALAR.adamax(p, g, m, u, 0, 2, 1e-3f, 0.9f, 0.1f, 0.999f, 1e-7f);
        assertTrue(Float.isNaN(u[0]) && Float.isNaN(m[0]) && Float.isNaN(p[0]), "NaN gradient: u " + u[0]);
        assertEquals(0.999f * 2f, u[1], "finite gradient below the decayed norm keeps the norm");
    }

    /**
     * A third of the weights get one gradient and then none: their momenta decay by beta1 (Adam) or momentum (SGD)
     * a step, through the subnormal range and on to zero. No state may be subnormal after any step, and the
     * parameters must stay within float rounding of the unflushed rule in double. Tolerance: every step rounds
     * the parameter once (half an ulp) and the step itself to a few ulps of the step, so 1,000 steps drift at most
     * about 1,000 half-ulps of the parameter; 1,024 ulps (of the parameter's magnitude, at least 2^-30 absolute) is
     * that bound with room, while a flush that moved a parameter by a whole step of a live weight would exceed it.
     */
    @Test
    void decayingMomentsAreFlushedAndTheParametersFollowTheUnflushedRule() {
        SplittableRandom rnd = seeded();
        int n = 517; // not a multiple of any vector length: the scalar tail runs too
        int steps = 1000; // enough for beta1 = 0.9 to take a moment of 1e-3 below 2^-149
        for (String rule : new String[] {"adam", "amsgrad", "sgd", "nesterov", "rmsprop", "rmsprop options",
                "adadelta", "adamax", "nadam"}) {
            float[] p = new float[n];
            float[] m = new float[n];
            float[] v = new float[n];
            // AMSGrad's maximum, or centered RMSprop's mean gradient
            float[] vMax = rule.equals("amsgrad") || rule.equals("rmsprop options") ? new float[n] : null;
            double[] pRef = new double[n];
            double[] mRef = new double[n];
            double[] vRef = new double[n];
            double[] vMaxRef = new double[n];
            boolean[] rare = new boolean[n];
            for (int i = 0; i < n; i++) {
                p[i] = (float) (rnd.nextGaussian() * 0.05);
                pRef[i] = p[i];
                rare[i] = i % 3 == 0;
            }
            float beta1 = 0.9f;
            float beta2 = 0.999f;
            float eps = 1e-7f;
            float lr = 1e-3f;
            float[] g = new float[n];
            int subnormalsSeen = 0;
            for (int t = 1; t <= steps; t++) {
                for (int i = 0; i < n; i++) {
                    g[i] = rare[i] && t > 1 ? 0f : (float) (rnd.nextGaussian() * 1e-2);
                }
                double b1c = 1.0 - beta1;
                double lrT = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
                if (rule.equals("adam") || rule.equals("amsgrad")) {
                    CpuOptimizerLoops.kernel().adam(p, g, m, v, vMax, 0, n, (float) lrT, beta1, (float) b1c,
                            (float) (b1c - (float) b1c), beta2, (float) (1.0 - beta2), eps);
                } else if (rule.equals("rmsprop")) { // rho = beta1: the mean square of g decays as Adam's m
                    CpuOptimizerLoops.kernel().rmsprop(p, g, m, 0, n, lr, beta1, (float) b1c, eps);
                } else if (rule.equals("rmsprop options")) { // m, v, vMax: the mean square, momentum, mean g
                    CpuOptimizerLoops.kernel().rmspropCenteredMomentum(p, g, m, v, vMax, 0, n, lr, beta1, (float) b1c,
                            beta1, eps);
                } else if (rule.equals("adadelta")) { // m and v: the mean squares of g and of the updates
                    CpuOptimizerLoops.kernel().adadelta(p, g, m, v, 0, n, lr, beta1, (float) b1c, eps);
                } else if (rule.equals("adamax")) { // v: the decaying infinity norm u
                    CpuOptimizerLoops.kernel().adamax(p, g, m, v, 0, n, (float) (lr / (1 - Math.pow(beta1, t))),
                            beta1, (float) b1c, beta2, eps);
                } else if (rule.equals("nadam")) { // Nadam's schedule aside: fixed coefficients cover the flush
                    CpuOptimizerLoops.kernel().nadam(p, g, m, v, 0, n, lr, beta1, (float) b1c, beta2,
                            (float) (1.0 - beta2), NADAM_CM, NADAM_CG, NADAM_CV, eps);
                } else {
                    CpuOptimizerLoops.kernel().sgdMomentum(p, g, m, 0, n, lr, beta1, rule.equals("nesterov"));
                }
                for (int i = 0; i < n; i++) {
                    double gi = g[i];
                    if (rule.equals("adam") || rule.equals("amsgrad")) {
                        mRef[i] = beta1 * mRef[i] + (1.0 - beta1) * gi;
                        vRef[i] = beta2 * vRef[i] + (1.0 - (double) beta2) * gi * gi;
                        vMaxRef[i] = Math.max(vMaxRef[i], vRef[i]);
                        double denomV = vMax != null ? vMaxRef[i] : vRef[i];
                        pRef[i] -= lrT * mRef[i] / (Math.sqrt(denomV) + eps);
                    } else if (rule.equals("rmsprop")) {
                        mRef[i] = beta1 * mRef[i] + (1.0 - beta1) * gi * gi;
                        pRef[i] -= lr * gi / Math.sqrt(mRef[i] + eps);
                    } else if (rule.equals("rmsprop options")) {
                        mRef[i] = beta1 * mRef[i] + (1.0 - beta1) * gi * gi;
                        vMaxRef[i] = beta1 * vMaxRef[i] + (1.0 - beta1) * gi;
                        vRef[i] = beta1 * vRef[i] + lr * gi / Math.sqrt(mRef[i] - vMaxRef[i] * vMaxRef[i] + eps);
                        pRef[i] -= vRef[i];
                    } else if (rule.equals("adadelta")) {
                        mRef[i] = beta1 * mRef[i] + (1.0 - beta1) * gi * gi;
                        double delta = -Math.sqrt(vRef[i] + eps) * gi / Math.sqrt(mRef[i] + eps);
                        vRef[i] = beta1 * vRef[i] + (1.0 - beta1) * delta * delta;
                        pRef[i] += lr * delta;
                    } else if (rule.equals("adamax")) {
                        mRef[i] = beta1 * mRef[i] + (1.0 - beta1) * gi;
                        vRef[i] = Math.max(beta2 * vRef[i], Math.abs(gi));
                        pRef[i] -= lr / (1 - Math.pow(beta1, t)) * mRef[i] / (vRef[i] + eps);
                    } else if (rule.equals("nadam")) {
                        mRef[i] = beta1 * mRef[i] + (1.0 - beta1) * gi;
                        vRef[i] = beta2 * vRef[i] + (1.0 - (double) beta2) * gi * gi;
                        double mHat = NADAM_CM * mRef[i] + NADAM_CG * gi;
                        pRef[i] -= lr * mHat / (Math.sqrt(NADAM_CV * vRef[i]) + eps);
                    } else {
                        mRef[i] = beta1 * mRef[i] - (double) lr * gi;
                        pRef[i] += rule.equals("nesterov") ? beta1 * mRef[i] - (double) lr * gi : mRef[i];
                    }
                    subnormalsSeen += subnormal(mRef[i]) ? 1 : 0;
                    assertTrue(!subnormal(m[i]) && !subnormal(v[i]) && (vMax == null || !subnormal(vMax[i])),
                            rule + ", step " + t + ", element " + i + ": m " + m[i] + ", v " + v[i]);
                }
            }
            assertTrue(subnormalsSeen > n / 3, rule + ": the unflushed moments passed through the subnormal range ("
                    + subnormalsSeen + " element-steps), so the flush was exercised");
            for (int i = 0; i < n; i++) {
                double tol = 1024 * Math.max(Math.ulp((float) Math.abs(pRef[i])), 0x1p-30f);
                assertEquals(pRef[i], p[i], tol, rule + ", element " + i + (rare[i] ? " (rare)" : ""));
            }
            for (int i = 0; i < n; i += 3) {
                assertEquals(0f, m[i], rule + ": the decayed moment of rare element " + i + " is flushed to 0");
            }
        }
    }

    /** Each array of the vector run equals the scalar run's (assertArrayEquals: bits, any NaN equal to any NaN). */
    private static void assertSameArrays(float[][] scalar, float[][] vector, String[] names, String what) {
        for (int a = 0; a < scalar.length; a++) {
            assertArrayEquals(scalar[a], vector[a], names[a] + ", " + what);
        }
    }

    private static boolean subnormal(double x) {
        return x != 0 && Math.abs(x) < TINY;
    }

    private static SplittableRandom seeded() {
        long seed = System.nanoTime();
        System.out.println("CpuOptimizerLoopsTest seed " + seed);
        return new SplittableRandom(seed);
    }

    /** Signed values over many magnitudes, with subnormals, values at the normal boundary, and zeros. */
    private static float[] values(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble();
            float magnitude;
            if (u < 0.15) {
                magnitude = Float.intBitsToFloat(1 + rnd.nextInt(0x007f_ffff)); // subnormal
            } else if (u < 0.3) {
                magnitude = TINY * (float) (1 + rnd.nextDouble() * 20); // normal, decays into the subnormals
            } else if (u < 0.35) {
                magnitude = 0f;
            } else {
                magnitude = (float) Math.pow(10, -8 + 8 * rnd.nextDouble());
            }
            x[i] = rnd.nextBoolean() ? magnitude : -magnitude;
        }
        return x;
    }

    private static float[] positives(SplittableRandom rnd, int n) {
        float[] x = values(rnd, n);
        for (int i = 0; i < n; i++) {
            x[i] = Math.abs(x[i]);
        }
        return x;
    }

    private static float[][] copy(float[][] arrays) {
        float[][] out = new float[arrays.length][];
        for (int a = 0; a < arrays.length; a++) {
            out[a] = arrays[a] == null ? null : arrays[a].clone();
        }
        return out;
    }
}
