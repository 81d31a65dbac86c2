package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Philox;

/**
 * The vectorised and block-wise dropout loops must be the scalar definition bit for bit (same integer Philox, same IEEE
 * division), for any range, offsets, seed, step, stream and rate, with the keep tests stored or not, and a stored mask
 * applied again must give the same output: the tolerance is zero because the backward pass applies the same mask
 * (kept or drawn again) and the other backends draw the same one.
 */
class CpuDropoutTest {

    @Test
    void theVectorLoopIsInUseUnderTheTestJvm() {
        // Surefire starts the JVM with --add-modules jdk.incubator.vector (java/pom.xml), as the README tells users.
        assertTrue(CpuDropout.vectorised(), "jdk.incubator.vector is in the boot layer, so the vector loop loads");
    }

    @Test
    void vectorLoopEqualsTheScalarDefinition() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        long seedOfTest = rnd.nextLong();
        rnd = new SplittableRandom(seedOfTest);
        float[] rates = {0f, 1e-7f, 0.1f, 0.2f, 0.5f, 0.7f, 0.999f, Math.nextDown(1f)};
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(300);
            int inOff = rnd.nextInt(20);
            int outOff = rnd.nextInt(20);
            int from = rnd.nextInt(n);
            int to = from + rnd.nextInt(n - from + 1);
            long seed = rnd.nextLong();
            int step = rnd.nextInt();
            int stream = rnd.nextInt(8);
            float rate = trial < rates.length ? rates[trial] : (float) rnd.nextDouble();
            float[] in = new float[n + inOff];
            for (int i = 0; i < in.length; i++) {
                in[i] = (float) rnd.nextGaussian();
            }
            float[] expected = new float[n + outOff];
            float[] actual = new float[n + outOff];
            CpuDropout.scalar(in, inOff, expected, outOff, from, to, seed, step, stream, rate);
            CpuDropout.kernel().apply(in, inOff, actual, outOff, from, to, seed, step, stream, rate, null);
            String what = "trial " + trial + " (test seed " + seedOfTest + "): n=" + n + " range [" + from + ", " + to
                    + ") rate " + rate + " seed " + seed + " step " + step;
            assertArrayEquals(expected, actual, "vector loop, " + what);
            float[] blockwise = new float[n + outOff];
            CpuDropout.blockwise(in, inOff, blockwise, outOff, from, to, seed, step, stream, rate, null);
            assertArrayEquals(expected, blockwise, "block-wise loop, " + what);

            // With the tests stored: the same output, a mark per element of the range (negative exactly when
            // Philox drops it; the rest of the array untouched), and reapplying the marks gives the output again.
            for (boolean vector : new boolean[] {true, false}) {
                String loop = (vector ? "vector" : "block-wise") + " loop keeping its marks, ";
                int[] marks = new int[n];
                java.util.Arrays.fill(marks, 12345);
                float[] kept = new float[n + outOff];
                if (vector) {
                    CpuDropout.kernel().apply(in, inOff, kept, outOff, from, to, seed, step, stream, rate, marks);
                } else {
                    CpuDropout.blockwise(in, inOff, kept, outOff, from, to, seed, step, stream, rate, marks);
                }
                assertArrayEquals(expected, kept, loop + what);
                for (int i = 0; i < n; i++) {
                    if (i < from || i >= to) {
                        assertEquals(12345, marks[i], loop + "mark outside the range at " + i + ", " + what);
                    } else {
                        boolean dropped = !(Philox.uniform(seed, i, step, stream) >= rate);
                        assertEquals(dropped, marks[i] < 0, loop + "mark " + i + " = " + marks[i] + ", " + what);
                    }
                }
                float[] again = new float[n + outOff];
                CpuDropout.kernel().reapply(in, inOff, again, outOff, from, to, marks, rate);
                assertArrayEquals(expected, again, loop + "reapplied by the kernel, " + what);
                float[] againScalar = new float[n + outOff];
                CpuDropout.reapplyScalar(in, inOff, againScalar, outOff, from, to, marks, rate);
                assertArrayEquals(expected, againScalar, loop + "reapplied element-wise, " + what);
            }
        }
    }

    @Test
    void theIntegerKeepTestIsTheFloatComparison() {
        // keepThreshold turns uniform >= rate into (bits >>> 8) >= threshold; check both sides of each boundary.
        SplittableRandom rnd = new SplittableRandom(7);
        for (int t = 0; t < 10_000; t++) {
            float rate = t < 3 ? new float[] {0f, 0.5f, Math.nextDown(1f)}[t] : (float) rnd.nextDouble();
            long th = CpuDropout.keepThreshold(rate);
            for (long q : new long[] {th - 1, th, th + 1}) {
                if (q < 0 || q >= (1 << 24)) {
                    continue;
                }
                boolean byFloat = q * 0x1.0p-24f >= rate;
                assertEquals(byFloat, q >= th, "rate " + rate + ", q " + q);
            }
        }
    }

    @Test
    void keepsAboutOneMinusRate() {
        float[] in = new float[100_000];
        java.util.Arrays.fill(in, 1f);
        float[] out = new float[in.length];
        CpuDropout.kernel().apply(in, 0, out, 0, 0, in.length, 42L, 3, 1, 0.2f, null);
        int kept = 0;
        for (float v : out) {
            if (v != 0f) {
                kept++;
                assertEquals(1f / 0.8f, v);
            }
        }
        // Binomial(100000, 0.8): standard deviation 126; 6 sigma is a false alarm once in 10^9 runs.
        assertEquals(80_000, kept, 6 * 126.5, "kept count");
        assertEquals(Philox.uniform(42L, 0, 3, 1) >= 0.2f, out[0] != 0f);
    }
}
