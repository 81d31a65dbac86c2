package dev.dendrite.backend.cpu;

/**
 * Reads one element per 64-byte cache line of a range before an op's loop gets to it. Between a training step's ops
 * most buffers are cold (behind Adam's sweep over every weight), and a loop that writes or reads them a tile at a
 * time stalls on each tile's misses in turn; read up front, independent loads let the misses overlap. Java has no
 * prefetch instruction; this is the portable stand-in. It paid for a short-k product's C; it did not measurably
 * help an activation's output (whose input the product before has just brought in), and it hurt where the range
 * exceeds the caches and is evicted again before use (bench/RESULTS.md).
 */
final class CpuReadAhead {
    /** Floats per 64-byte line. */
    static final int LINE = 16;

    /** The sink of the reads; its value means nothing, but storing it keeps the reads from being dead code. */
    private static int sink;

    private CpuReadAhead() {
    }

    /** Elements {@code [from, to)} of {@code a}, one per line; returns a value to pass to {@link #keep}. */
    static int lines(float[] a, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i += LINE) {
            sum += Float.floatToRawIntBits(a[i]);
        }
        return sum;
    }

    /** Elements {@code [from, to)} of {@code a}, one per line (64 bytes); returns a value to pass to {@link #keep}. */
    static int lines(byte[] a, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i += 4 * LINE) {
            sum += a[i];
        }
        return sum;
    }

    /** Keeps the reads that gave {@code sum}. */
    static void keep(int sum) {
        sink = sum;
    }
}
