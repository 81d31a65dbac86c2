package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Reference64;

/**
 * {@link CpuActivationsVector} (made directly, so that it is tested wherever the test JVM has the Vector API, even
 * where {@link CpuActivations} would not pick it) against the plain loops and the float64 {@link Reference64}, on
 * fresh random inputs over several scales, the plain loops' switch points, signed zeros, infinities and NaN, in
 * ranges that start and end inside vectors and span several chunks, in place and not.
 *
 * <p>Tolerances: the piecewise activations run the plain loops' double operations and must give their bits (NaN
 * as NaN). The others go through the JDK's exp, expm1 and log1p intrinsics, within a few double ulps of the exact
 * value: rounded to float they may land one float ulp from the plain loops' result, never more, and within 1 float
 * ulp (+1e-30 for underflow) of the float64 reference, CpuActivationsTest's bound for the plain loops.
 */
class CpuActivationsVectorTest {
    /** Activations whose vector loops must reproduce the plain loops' bits: no intrinsic on their path. */
    private static final Set<ActivationFunction> EXACT = EnumSet.of(ActivationFunction.SOFTSIGN,
            ActivationFunction.RELU6, ActivationFunction.HARD_SIGMOID, ActivationFunction.HARD_SILU,
            ActivationFunction.HARD_TANH, ActivationFunction.SOFT_SHRINK, ActivationFunction.HARD_SHRINK,
            ActivationFunction.SPARSE_PLUS, ActivationFunction.SPARSE_SIGMOID, ActivationFunction.SQUAREPLUS);

    private static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 1e-4f, -1e-4f, 0.99e-4f,
        -0.99e-4f, 1e-5f, -1e-5f, 0.1f, -0.1f, 0.099999994f, -0.099999994f, 0.5f, -0.5f, 1f, -1f, 3f, -3f, 6f, -6f,
        20f, 20.000002f, 19.999998f, 80f, -80f, 89f, -89f, 710f, -710f, -745f, -746f, 1e4f, -1e4f};

    private final CpuActivationsVector vector = new CpuActivationsVector();

    private static float[] inputs(Random rnd, int n) {
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = i % 5 == 0 ? SPECIAL[rnd.nextInt(SPECIAL.length)]
                    : (float) (rnd.nextGaussian() * new double[] {1e-4, 0.3, 3, 30}[i % 4]);
        }
        return z;
    }

    private static float alphaOf(ActivationFunction f) {
        return f == ActivationFunction.ELU ? 0.7f : f.defaultAlpha();
    }

    @Test
    void theBackendUsesTheVectorLoopsOnX86Linux() {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && (arch.equals("amd64") || arch.equals("x86_64")), "the vector loops are chosen on x86-64 Linux and "
                + "Windows only; this JVM runs on " + System.getProperty("os.name") + " " + arch);
        // Surefire starts the JVM with --add-modules jdk.incubator.vector (java/pom.xml), as the README tells users.
        assertTrue(CpuActivations.vectorLoopsInUse() instanceof CpuActivationsVector,
                "CpuActivations dispatches to the vector loops");
    }

    @Test
    void takesOverEveryActivationButTheCheapOnes() {
        float[] z = new float[8];
        for (ActivationFunction f : ActivationFunction.values()) {
            boolean own = !EnumSet.of(ActivationFunction.LINEAR, ActivationFunction.RELU, ActivationFunction.LEAKY_RELU,
                    ActivationFunction.SOFTMAX).contains(f);
            assertEquals(own, vector.forward(f, 0.2f, z, new float[8], 0, 8), f + " forward");
            assertEquals(own, vector.backward(f, 0.2f, z, new float[8], new float[8], 0, 8), f + " backward");
        }
    }

    @Test
    void forwardMatchesThePlainLoopAndTheReference() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (ActivationFunction f : ActivationFunction.values()) {
            if (f == ActivationFunction.SOFTMAX) {
                continue; // row-wise: the loops refuse it
            }
            float alpha = alphaOf(f);
            float[] z = inputs(rnd, 1500);
            for (int[] range : new int[][] {{0, 1500}, {3, 10}, {5, 6}, {7, 1031}}) {
                float[] want = z.clone();
                float[] got = new float[z.length];
                CpuActivations.plainForward(f, alpha, z, want, range[0], range[1]);
                if (!vector.forward(f, alpha, z, got, range[0], range[1])) {
                    continue;
                }
                for (int i = range[0]; i < range[1]; i++) {
                    String what = f + "(" + z[i] + ") at " + i + " of " + range[0] + ".." + range[1] + " (seed " + seed
                            + ")";
                    assertClose(f, want[i], got[i], what);
                    double exact = Float.isFinite(z[i]) ? Reference64.activation(f, alpha, z[i]) : Double.NaN;
                    if (Double.isFinite(exact) && Float.isFinite(got[i])) {
                        assertEquals(exact, got[i], Math.ulp((float) exact) + 1e-30, what + " against float64");
                    }
                }
                for (int i = 0; i < z.length; i++) {
                    if (i < range[0] || i >= range[1]) {
                        assertEquals(0f, got[i], f + ": element " + i + " is outside " + range[0] + ".." + range[1]);
                    }
                }
            }
            float[] inPlace = z.clone();
            float[] want = new float[z.length];
            if (vector.forward(f, alpha, inPlace, inPlace, 0, z.length)) {
                CpuActivations.plainForward(f, alpha, z, want, 0, z.length);
                for (int i = 0; i < z.length; i++) {
                    assertClose(f, want[i], inPlace[i], f + " in place at " + i + " (seed " + seed + ")");
                }
            }
        }
    }

    @Test
    void backwardMatchesThePlainLoopAndTheReference() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (ActivationFunction f : ActivationFunction.values()) {
            if (f == ActivationFunction.SOFTMAX) {
                continue; // row-wise: the loops refuse it
            }
            float alpha = alphaOf(f);
            float[] z = inputs(rnd, 1300);
            float[] dy = new float[z.length];
            for (int i = 0; i < dy.length; i++) {
                dy[i] = (float) rnd.nextGaussian();
            }
            float[] want = new float[z.length];
            float[] got = new float[z.length];
            if (!vector.backward(f, alpha, z, dy, got, 1, 1299)) {
                continue;
            }
            CpuActivations.plainBackward(f, alpha, z, dy, want, 1, 1299);
            for (int i = 1; i < 1299; i++) {
                String what = f + "'(" + z[i] + ") * " + dy[i] + " at " + i + " (seed " + seed + ")";
                assertClose(f, want[i], got[i], what);
                double exact = Float.isFinite(z[i]) ? dy[i] * Reference64.activationDerivative(f, alpha, z[i])
                        : Double.NaN;
                if (Double.isFinite(exact) && Float.isFinite(got[i])) {
                    // two roundings: the derivative's to float, and the product's
                    assertEquals(exact, got[i], 2 * Math.ulp((float) exact) + 1e-30, what + " against float64");
                }
            }
            float[] inPlace = dy.clone();
            vector.backward(f, alpha, z, inPlace, inPlace, 0, z.length);
            CpuActivations.plainBackward(f, alpha, z, dy, want, 0, z.length);
            for (int i = 0; i < z.length; i++) {
                assertClose(f, want[i], inPlace[i], f + "' into dy at " + i + " (seed " + seed + ")");
            }
        }
    }

    /** The plain loop's bits for {@link #EXACT}, else within one float ulp of them; NaN and infinities alike. */
    private static void assertClose(ActivationFunction f, float plain, float got, String what) {
        if (EXACT.contains(f) || !Float.isFinite(plain)) {
            assertEquals(Float.floatToIntBits(plain), Float.floatToIntBits(got), what + ": plain " + plain + ", got "
                    + got);
            return;
        }
        assertTrue(Float.isFinite(got), what + ": plain " + plain + ", got " + got);
        assertFalse(Math.abs(got - plain) > Math.ulp(plain), what + ": plain " + plain + ", got " + got);
    }
}
