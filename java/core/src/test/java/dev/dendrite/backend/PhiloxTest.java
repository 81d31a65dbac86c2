package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Philox4x32-10 against the known-answer vectors of its authors' reference implementation (Random123's
 * {@code kat_vectors}), and the derived {@link Philox#bits} / {@link Philox#uniform} against {@code block}.
 */
class PhiloxTest {

    @Test
    void knownAnswerCounterZeroKeyZero() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.block(0, 0, 0, 0, 0, 0));
    }

    @Test
    void knownAnswerAllOnes() {
        int f = 0xffffffff;
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.block(f, f, f, f, f, f));
    }

    @Test
    void bitsIsTheFirstWordOfTheBlock() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int t = 0; t < 10_000; t++) {
            long s = rnd.nextLong();
            int index = rnd.nextInt();
            int step = rnd.nextInt();
            int stream = rnd.nextInt();
            int expected = Philox.block(index, step, stream, 0, (int) s, (int) (s >>> 32))[0];
            assertEquals(expected, Philox.bits(s, index, step, stream), "seed " + seed + " trial " + t);
        }
    }

    @Test
    void uniformIsTheTop24BitsOfItsWordOfTheSharedBlock() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        double sum = 0;
        int n = 100_000;
        long s = rnd.nextLong();
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(s, i, 5, 9);
            assertTrue(u >= 0f && u < 1f, "uniform " + u + " outside [0, 1) (seed " + seed + ")");
            // Element i: word i & 3 of the block for counter (i / 4, step, stream, 0), from the known-answer path.
            int word = Philox.block(i >>> 2, 5, 9, 0, (int) s, (int) (s >>> 32))[i & 3];
            assertEquals((word >>> 8) * 0x1.0p-24f, u, 0f);
            sum += u;
        }
        // Mean of n uniforms has standard deviation sqrt(1/12 / n) ~ 9.1e-4; allow 5 of them.
        assertEquals(0.5, sum / n, 5 * Math.sqrt(1.0 / 12 / n), "mean of uniforms (seed " + seed + ")");
        // The largest possible value stays below 1: all-ones bits give 1 - 2^-24.
        assertEquals(1f - 0x1.0p-24f, (0xffffffff >>> 8) * 0x1.0p-24f, 0f);
    }
}
