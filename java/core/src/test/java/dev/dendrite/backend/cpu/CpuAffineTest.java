package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;
import dev.dendrite.backend.FillMode;
import dev.dendrite.backend.Interpolation;
import jdk.incubator.vector.FloatVector;

/**
 * The vector affine loop ({@link CpuAffineVector}) must give {@link Augment#affine}'s bits exactly, for every fill
 * mode and interpolation, on random images and ranges, widths below, at and between multiples of the vector length,
 * zooms that send points past the fill tables (the scalar fall-back inside a vector call) and offsets into the
 * arrays. The tolerance is zero: the loop does the definition's float operations in the same order, and the other
 * backends are held to the same bits. Compared bit for bit (raw bits), so a -0 for a +0 fails too.
 */
class CpuAffineTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void theVectorLoopIsInUseUnderTheTestJvm() {
        // Surefire starts the JVM with --add-modules jdk.incubator.vector (java/pom.xml), as the README tells users.
        assertTrue(CpuAffine.vectorised(), "jdk.incubator.vector is in the boot layer, so the vector loop loads");
    }

    @Test
    void vectorLoopEqualsTheScalarDefinition() {
        long testSeed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(testSeed);
        int[] widths = {1, L - 1, L, L + 1, 28, 2 * L - 3, 2 * L, 3 * L + 5};
        int cases = 0;
        for (FillMode mode : FillMode.values()) {
            for (Interpolation interpolation : Interpolation.values()) {
                for (int width : widths) {
                    for (int trial = 0; trial < 3; trial++) {
                        int height = 1 + rnd.nextInt(40);
                        check(rnd, mode, interpolation, height, width, trial, testSeed);
                        cases++;
                    }
                }
            }
        }
        assertTrue(cases == FillMode.values().length * Interpolation.values().length * widths.length * 3);
    }

    @Test
    void aThreadsReusedScratchFollowsEveryChangeOfShapeAndRanges() {
        // Each thread keeps its scratch while shape and ranges stay; the constant fill's frame holds the fill value,
        // so two specs that differ in that alone, interleaved on one thread, must each get their own bits.
        long testSeed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(testSeed);
        AffineAugment base = AffineAugment.IDENTITY.withRotation(-0.1f, 0.1f).withShift(-0.3f, 0.3f, -0.3f, 0.3f)
                .withZoom(0.8f, 1.3f, 0.8f, 1.3f, false);
        AffineAugment zero = base.withFill(FillMode.CONSTANT, Interpolation.BILINEAR, 0f);
        AffineAugment one = base.withFill(FillMode.CONSTANT, Interpolation.BILINEAR, 1f);
        AffineAugment nearest = base.withFill(FillMode.NEAREST, Interpolation.BILINEAR, 0f);
        Object[][] calls = {{zero, 28, 28}, {one, 28, 28}, {zero, 28, 28}, {zero, 20, 28}, {nearest, 20, 28},
            {zero, 28, 28}, {one, 28, 28}};
        for (Object[] c : calls) {
            AffineAugment a = (AffineAugment) c[0];
            int height = (int) c[1];
            int width = (int) c[2];
            int rows = 3;
            float[] x = new float[rows * height * width];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            long seed = rnd.nextLong();
            float[] expected = new float[x.length];
            float[] actual = new float[x.length];
            Augment.affine(x, 0, expected, 0, 0, rows, height, width, a, seed, 5, 0);
            CpuAffine.Kernel kernel = new CpuAffineVector();
            kernel.apply(x, 0, actual, 0, 0, rows, height, width, a, seed, 5, 0);
            for (int i = 0; i < expected.length; i++) {
                if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                    fail("element " + i + " is " + actual[i] + "; the definition gives " + expected[i] + " ("
                            + height + "x" + width + ", " + a + ", test seed " + testSeed + ")");
                }
            }
        }
    }

    @Test
    void theFrameHoldsEveryNeighbourOfEveryPointItsRangesCanSample() {
        // The frame's width is a bound computed from the ranges: a point beyond it is still right (the definition
        // redoes its chunk), but slow, so the bound must hold for every image the ranges can draw.
        long testSeed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(testSeed);
        int checked = 0;
        for (int trial = 0; trial < 300; trial++) {
            int height = 16 + rnd.nextInt(33);
            int width = 16 + rnd.nextInt(33);
            float rotation = (float) rnd.nextDouble(0.05);
            float shearLo = (float) -rnd.nextDouble(0.03);
            AffineAugment a = AffineAugment.IDENTITY.withRotation(-rotation, rotation * (float) rnd.nextDouble())
                    .withShift((float) -rnd.nextDouble(0.15), (float) rnd.nextDouble(0.15),
                            (float) -rnd.nextDouble(0.15), (float) rnd.nextDouble(0.15))
                    .withZoom((float) rnd.nextDouble(0.8, 1), (float) rnd.nextDouble(1, 1.2),
                            (float) rnd.nextDouble(0.8, 1), (float) rnd.nextDouble(1, 1.2), rnd.nextBoolean())
                    .withShear(shearLo, -shearLo).withFlips(rnd.nextBoolean(), rnd.nextBoolean());
            int pad = CpuAffineVector.margin(height, width, a);
            if (pad == Math.max(height, width) / 2 + 2) {
                continue; // capped: points past the cap are the definition's by design
            }
            Augment.AffineImage m = new Augment.AffineImage(height, width);
            for (int sample = 0; sample < 20; sample++) {
                m.draw(a, rnd.nextLong(), sample, rnd.nextInt(1 << 20), 0);
                for (int py = 0; py < height; py++) {
                    for (int px = 0; px < width; px++) {
                        // Augment.affineRow's map
                        float v2 = Math.fma(m.negShiftH, (float) height, Math.fma(m.negSinS, m.u[px], m.v[py]));
                        float xin = Math.fma(m.cosR, m.u2[px], -(m.sinR * v2)) + m.cx;
                        float yin = Math.fma(m.sinR, m.u2[px], m.cosR * v2) + m.cy;
                        // bilinear reads floor(c) and floor(c) + 1: both must lie in [-pad, n + pad)
                        if (!(Math.floor(xin) >= -pad && Math.floor(xin) + 1 < width + pad
                                && Math.floor(yin) >= -pad && Math.floor(yin) + 1 < height + pad)) {
                            fail("point (" + xin + ", " + yin + ") of a " + height + "x" + width + " image is beyond "
                                    + "the frame of " + pad + " pixels (" + a + ", test seed " + testSeed + ")");
                        }
                    }
                }
                checked++;
            }
        }
        assertTrue(checked >= 20 * 150, checked + " images checked; expected at least half the 300 trials uncapped");
    }

    @Test
    void theNotebookGeneratorsFrameIsTenPixels() {
        // rotation 10 degrees, shifts and zoom 0.1 on 28x28: 20.7 pixels from the centre at most, 7.2 beyond the
        // edge, plus the bilinear neighbour and one for rounding
        AffineAugment a = AffineAugment.IDENTITY.withRotation(-10f / 360, 10f / 360)
                .withShift(-0.1f, 0.1f, -0.1f, 0.1f).withZoom(0.9f, 1.1f, 0.9f, 1.1f, false);
        assertTrue(CpuAffineVector.margin(28, 28, a) == 10, "margin " + CpuAffineVector.margin(28, 28, a));
    }

    private static void check(SplittableRandom rnd, FillMode mode, Interpolation interpolation, int height,
                              int width, int trial, long testSeed) {
        // trial 0: the notebook generator's ranges; 1: every transform, wide; 2: zooms to 16, far past the tables
        AffineAugment a = switch (trial) {
            case 0 -> AffineAugment.IDENTITY.withRotation(-10f / 360, 10f / 360).withShift(-0.1f, 0.1f, -0.1f, 0.1f)
                    .withZoom(0.9f, 1.1f, 0.9f, 1.1f, false);
            case 1 -> AffineAugment.IDENTITY.withRotation(-0.5f, 0.5f).withShift(-0.4f, 0.4f, -0.3f, 0.5f)
                    .withZoom(0.5f, 2f, 0.6f, 1.8f, false).withShear(-0.1f, 0.1f).withFlips(true, true);
            default -> AffineAugment.IDENTITY.withRotation(-0.2f, 0.2f).withShift(-2f, 2f, -2f, 2f)
                    .withZoom(1f, 16f, 1f, 16f, rnd.nextBoolean());
        };
        a = a.withFill(mode, interpolation, (float) rnd.nextGaussian());
        int rows = 1 + rnd.nextInt(5);
        int xo = rnd.nextInt(7);
        int yo = rnd.nextInt(7);
        float[] x = new float[xo + rows * height * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        long seed = rnd.nextLong();
        int step = rnd.nextInt(1 << 20);
        int stream = rnd.nextInt(4);
        int from = rnd.nextInt(rows);
        float[] expected = new float[yo + rows * height * width];
        float[] actual = expected.clone();
        Augment.affine(x, xo, expected, yo, from, rows, height, width, a, seed, step, stream);
        new CpuAffineVector().apply(x, xo, actual, yo, from, rows, height, width, a, seed, step, stream);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail("element " + i + " is " + actual[i] + "; the definition gives " + expected[i] + " (" + mode + ", "
                        + interpolation + ", " + height + "x" + width + ", images [" + from + ", " + rows + "), "
                        + a + ", seed " + seed + ", step " + step + ", test seed " + testSeed + ")");
            }
        }
    }
}
