package dev.dendrite.backend;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a counter-based
 * generator, so a random number is a pure function of its coordinates. This is the single definition every
 * backend's dropout and shuffle follow; the CUDA and OpenCL kernels compute the same function.
 *
 * <p>Coordinates map to the generator as counter {@code (index, step, stream, 0)} and key
 * {@code (low 32 bits of seed, high 32 bits of seed)}; the first output word is used.
 */
public final class Philox {
    /** Stream id used for the epoch shuffle, distinct from any dropout layer's stream. */
    public static final int PERMUTATION_STREAM = 0x7fff_fff0;

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox() {
    }

    /** The full 4-word block for a counter and key (exposed for the known-answer test). */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** The first word of the block for {@code (index, step, stream)} under {@code seed}: 32 random bits. */
    public static int bits(long seed, int index, int step, int stream) {
        int c0 = index;
        int c1 = step;
        int c2 = stream;
        int c3 = 0;
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int nc0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int nc2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = nc0;
            c2 = nc2;
        }
        return c0;
    }

    /** A uniform float in [0, 1) with 24 random bits: {@code (bits >>> 8) * 2^-24}. */
    public static float uniform(long seed, int index, int step, int stream) {
        return (bits(seed, index, step, stream) >>> 8) * 0x1.0p-24f;
    }
}
