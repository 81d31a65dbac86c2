package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Philox;

/**
 * The CPU dropout loop: {@code y[i] = keep(i) ? x[i] / (1 - rate) : 0} with {@code keep(i)} drawn by
 * {@link Philox#uniform}, four elements per Philox4x32-10 block. A block is ten rounds of two 32x32-bit products:
 * one per element, scalar, made dropout the most expensive op of a batch-norm + dropout network's step (about
 * 25 ns per element, more than all its GEMMs together). The loops here compute each block once for its four
 * elements, and with {@code jdk.incubator.vector} the blocks of a whole vector of block indices at once in 64-bit
 * lanes ({@link CpuDropoutVector}); every loop is bit for bit {@link #scalar}, the definition, since all compute
 * the same integer function and the same IEEE division.
 */
final class CpuDropout {
    /** Dropout over {@code [from, to)}: {@code in[inOff + i]} to {@code out[outOff + i]}. */
    interface Kernel {
        /**
         * Draws the mask and applies it; when {@code marks} is not null, also stores each element's keep test in
         * {@code marks[i]}: negative exactly when element {@code i} is dropped.
         */
        void apply(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                   int stream, float rate, int[] marks);

        /** Applies a mask that {@link #apply} stored in {@code marks}, without drawing it again. */
        void reapply(float[] in, int inOff, float[] out, int outOff, int from, int to, int[] marks, float rate);
    }

    private static final Kernel VECTOR =
            CpuVectorKernels.load(Kernel.class, "CpuDropoutVector", "dendrite.dropout.scalar");
    private static final Kernel SCALAR = new Kernel() {
        @Override
        public void apply(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                          int stream, float rate, int[] marks) {
            blockwise(in, inOff, out, outOff, from, to, seed, step, stream, rate, marks);
        }

        @Override
        public void reapply(float[] in, int inOff, float[] out, int outOff, int from, int to, int[] marks,
                            float rate) {
            reapplyScalar(in, inOff, out, outOff, from, to, marks, rate);
        }
    };

    private CpuDropout() {
    }

    static Kernel kernel() {
        return VECTOR != null ? VECTOR : SCALAR;
    }

    /** Whether the vectorised loop is in use (the JVM was started with {@code --add-modules jdk.incubator.vector}). */
    static boolean vectorised() {
        return VECTOR != null;
    }

    /** The reference loop: Philox's own definition, one element at a time. */
    static void scalar(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                       int stream, float rate) {
        float keep = 1f - rate;
        for (int i = from; i < to; i++) {
            out[outOff + i] = Philox.uniform(seed, i, step, stream) >= rate ? in[inOff + i] / keep : 0f;
        }
    }

    /**
     * The same loop, one Philox block per four elements (the definition's reference, {@link #scalar}, computes the
     * block of every element anew): what runs without the Vector API.
     */
    static void blockwise(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                          int stream, float rate, int[] marks) {
        // A partial block at either end goes element by element, by the definition.
        int i = Math.min(to, (from + 3) & ~3);
        scalarMarked(in, inOff, out, outOff, from, i, seed, step, stream, rate, marks);
        float keep = 1f - rate;
        long threshold = keepThreshold(rate);
        int[] words = new int[4];
        for (; i + 4 <= to; i += 4) {
            Philox.block(seed, i >>> 2, step, stream, words);
            for (int w = 0; w < 4; w++) {
                boolean kept = (words[w] >>> 8) >= threshold;
                out[outOff + i + w] = kept ? in[inOff + i + w] / keep : 0f;
                if (marks != null) {
                    marks[i + w] = kept ? 0 : -1;
                }
            }
        }
        scalarMarked(in, inOff, out, outOff, i, to, seed, step, stream, rate, marks);
    }

    /** {@link #scalar}, storing the keep tests in {@code marks} (when not null) as {@link Kernel#apply} does. */
    private static void scalarMarked(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed,
                                     int step, int stream, float rate, int[] marks) {
        scalar(in, inOff, out, outOff, from, to, seed, step, stream, rate);
        if (marks != null) {
            for (int i = from; i < to; i++) {
                marks[i] = Philox.uniform(seed, i, step, stream) >= rate ? 0 : -1;
            }
        }
    }

    /** {@link Kernel#reapply}, one element at a time: the same division as the definition, {@link #scalar}. */
    static void reapplyScalar(float[] in, int inOff, float[] out, int outOff, int from, int to, int[] marks,
                              float rate) {
        float keep = 1f - rate;
        for (int i = from; i < to; i++) {
            out[outOff + i] = marks[i] >= 0 ? in[inOff + i] / keep : 0f;
        }
    }

    /**
     * {@code uniform >= rate} as an integer test on the 24 bits the uniform is made of: the uniform is
     * {@code q * 2^-24} exactly (q = bits >>> 8), and {@code rate * 2^24} is exact too, so
     * {@code q * 2^-24 >= rate} exactly when {@code q >= ceil(rate * 2^24)}.
     */
    static long keepThreshold(float rate) {
        return (long) Math.ceil(rate * 16777216.0);
    }
}
