package dev.dendrite.backend;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a counter-based
 * generator, so a random number is a pure function of its coordinates. This is the single definition every
 * backend's dropout and shuffle follow; the CUDA and OpenCL kernels compute the same function.
 *
 * <p>Key {@code (low 32 bits of seed, high 32 bits of seed)}. The shuffle draws the first word of the block for
 * counter {@code (index, epoch, stream, 0)} ({@link #bits}); dropout draws all four words of each block, element
 * {@code i} taking word {@code i & 3} of the block for counter {@code (i >>> 2, step, stream, 0)} ({@link #uniform}).
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
        int[] out = new int[4];
        blockInto(c0, c1, c2, c3, k0, k1, out);
        return out;
    }

    /** Writes the four words of the block for counter {@code (c0, step, stream, 0)} under {@code seed} to {@code out}. */
    public static void block(long seed, int c0, int step, int stream, int[] out) {
        blockInto(c0, step, stream, 0, (int) seed, (int) (seed >>> 32), out);
    }

    /** The first word of the block for {@code (index, step, stream)} under {@code seed}: 32 random bits. */
    public static int bits(long seed, int index, int step, int stream) {
        return word(seed, index, step, stream, 0);
    }

    /**
     * Element {@code index}'s uniform float in [0, 1), 24 random bits {@code (w >>> 8) * 2^-24}, where {@code w} is
     * word {@code index & 3} of the block for counter {@code (index >>> 2, step, stream, 0)}: four consecutive
     * elements share one block, so a dropout mask costs a quarter of a block per element.
     */
    public static float uniform(long seed, int index, int step, int stream) {
        return (word(seed, index >>> 2, step, stream, index & 3) >>> 8) * 0x1.0p-24f;
    }

    /** Word {@code which} (0 to 3) of the block for counter {@code (c0, step, stream, 0)} under {@code seed}. */
    public static int word(long seed, int c0, int step, int stream, int which) {
        int[] words = new int[4]; // does not escape: C2 keeps it in registers once blockInto is inlined
        block(seed, c0, step, stream, words);
        return words[which];
    }

    private static void blockInto(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
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
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
