package dev.dendrite.initializers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The initializers' distributions, by their moments on 400 x 300 kernels (120,000 draws) against Keras's formulas,
 * and their names and configs. Tolerances: the sample variance of n draws is within about {@code sqrt(2 / n)}
 * (0.4%) of the true one for a normal (less for the bounded ones), so 3% is ten standard errors and still tells
 * fan_in (1/400) from fan_avg (1/350) and truncated from untruncated (factor 0.77); the sample mean's standard
 * error is {@code sigma / sqrt(n)}, and 10 of those are allowed.
 */
class InitializersTest {
    private static final int IN = 400;
    private static final int OUT = 300;

    private static float[] draw(Initializer init, long seed) {
        float[] v = new float[IN * OUT];
        init.fill(v, IN, OUT, new SplittableRandom(seed));
        return v;
    }

    private static void assertMoments(String what, float[] v, double mean, double variance) {
        double m = 0;
        for (float x : v) {
            m += x;
        }
        m /= v.length;
        double var = 0;
        for (float x : v) {
            var += (x - m) * (x - m);
        }
        var /= v.length - 1;
        assertEquals(mean, m, 10 * Math.sqrt(variance / v.length) + 1e-12, what + ": mean");
        assertEquals(variance, var, 0.03 * variance, what + ": variance");
    }

    private static double maxAbs(float[] v, double around) {
        double worst = 0;
        for (float x : v) {
            worst = Math.max(worst, Math.abs(x - around));
        }
        return worst;
    }

    @Test
    void varianceScalingFollowsKerassFormulaForEachModeAndDistribution() {
        double avg = (IN + OUT) / 2.0;
        assertMoments("fan_in truncated", draw(new VarianceScaling(2, "fan_in", "truncated_normal"), 1), 0, 2.0 / IN);
        assertMoments("fan_out untruncated", draw(new VarianceScaling(1, "fan_out", "untruncated_normal"), 2), 0,
                1.0 / OUT);
        assertMoments("fan_avg uniform", draw(new VarianceScaling(3, "fan_avg", "uniform"), 3), 0, 3.0 / avg);
        float[] t = draw(new VarianceScaling(1, "fan_in", "truncated_normal"), 4);
        // Keras's truncated normal has stddev sqrt(1/400) / 0.8796 before truncation at two of those.
        assertTrue(maxAbs(t, 0) <= 2 * Math.sqrt(1.0 / IN) / 0.87962566103423978 + 1e-6, "truncated at 2 sigma");
        float[] u = draw(new VarianceScaling(3, "fan_avg", "uniform"), 5);
        assertTrue(maxAbs(u, 0) <= Math.sqrt(3 * 3.0 / avg), "uniform within +-sqrt(3 variance)");
        assertMoments("glorot_uniform", draw(Initializer.fromName("glorot_uniform"), 6), 0, 1.0 / avg);
        assertMoments("he_normal", draw(Initializer.fromName("he_normal"), 7), 0, 2.0 / IN);
        assertMoments("lecun_uniform", draw(Initializer.fromName("LecunUniform"), 8), 0, 1.0 / IN);
    }

    @Test
    void truncatedNormalKeepsWithinTwoStandardDeviations() {
        float[] v = draw(new TruncatedNormal(0.5, 0.1), 9);
        assertTrue(maxAbs(v, 0.5) <= 0.2 + 1e-6, "within mean +- 2 stddev");
        // A unit normal truncated to [-2, 2] has variance 0.8796^2 = 0.7737.
        assertMoments("truncated_normal(0.5, 0.1)", v, 0.5, 0.01 * 0.7737413);
        assertMoments("random_normal", draw(new RandomNormal(0, 0.1), 10), 0, 0.01);
    }

    @Test
    void orthogonalGivesOrthonormalColumnsOrRowsTimesTheGain() {
        for (int[] shape : new int[][] {{40, 30}, {30, 40}, {16, 16}, {1, 1}}) {
            int in = shape[0];
            int out = shape[1];
            float[] v = new float[in * out];
            new Orthogonal(1.5).fill(v, in, out, new SplittableRandom(11));
            boolean tall = in >= out;
            int n = tall ? out : in; // the shorter side's vectors are orthonormal
            int len = tall ? in : out;
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    double dot = 0;
                    for (int i = 0; i < len; i++) {
                        double x = tall ? v[i * out + a] : v[a * out + i];
                        double y = tall ? v[i * out + b] : v[b * out + i];
                        dot += x * y;
                    }
                    // float storage: each element within 6e-8 relative, so a dot of len terms within ~len * 1e-7.
                    assertEquals(a == b ? 2.25 : 0, dot, 1e-5 * len, in + "x" + out + " vectors " + a + ", " + b);
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Orthogonal().fill(new float[8], 8, 8, new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("8 values"), e.getMessage());
    }

    @Test
    void namesAndConfigsAreKerassAndReadBack() {
        assertInstanceOf(TruncatedNormal.class, Initializer.fromName("TruncatedNormal"));
        assertInstanceOf(Orthogonal.class, Initializer.fromName("orthogonal"));
        assertEquals("variance_scaling", Initializer.fromName("VarianceScaling").name());
        assertEquals(Map.of(), VarianceScaling.heNormal().config(), "the named forms have no arguments");
        Initializer vs = new VarianceScaling(0.5, "fan_out", "uniform");
        assertEquals(Map.of("scale", 0.5, "mode", "fan_out", "distribution", "uniform"), vs.config());
        for (Initializer i : new Initializer[] {vs, new TruncatedNormal(0.1, 0.2), new Orthogonal(2)}) {
            Initializer back = Initializer.fromConfig(i.name(), i.config());
            assertEquals(i.config(), back.config(), i.name());
            float[] a = new float[12];
            float[] b = new float[12];
            i.fill(a, 4, 3, new SplittableRandom(3));
            back.fill(b, 4, 3, new SplittableRandom(3));
            assertEquals(Arrays.toString(a), Arrays.toString(b), i.name() + ": the same draws");
        }
        // A Keras file names the class ("RandomNormal", "Constant") and keeps the arguments in its config
        assertEquals(Map.of("mean", 0.5, "stddev", 0.01),
                Initializer.fromConfig("RandomNormal", Map.of("mean", 0.5, "stddev", 0.01, "seed", 7)).config());
        assertEquals(Map.of("value", 1.5), Initializer.fromConfig("Constant", Map.of("value", 1.5)).config());
        assertEquals(Map.of("scale", 2.0, "mode", "fan_avg", "distribution", "untruncated_normal"),
                Initializer.fromConfig("VarianceScaling", Map.of("scale", 2.0, "mode", "fan_avg",
                        "distribution", "untruncated_normal")).config());
        assertThrows(IllegalArgumentException.class, () -> new VarianceScaling(1, "fan_sum", "uniform"));
        assertThrows(IllegalArgumentException.class, () -> new VarianceScaling(1, "fan_in", "normal"));
        assertThrows(IllegalArgumentException.class, () -> new VarianceScaling(0, "fan_in", "uniform"));
        assertThrows(IllegalArgumentException.class, () -> new TruncatedNormal(0, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Initializer.fromName("xavier_orthogonal"));
        assertTrue(e.getMessage().contains("orthogonal") && e.getMessage().contains("truncated_normal"),
                e.getMessage());
    }
}
