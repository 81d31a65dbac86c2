package dev.dendrite.backend.cpu;

/**
 * The CPU backend's element-wise inner loops, written so that C2 (JDK 17) turns them into SIMD code.
 *
 * <p>C2's superword pass vectorises a counted loop over float arrays only when it can prove that reordering
 * the loop's loads and stores is safe. It assumes any two float arrays may be the same array, and it compares
 * two accesses only when their indices differ by a compile-time constant; {@code a[i + aOff]} next to
 * {@code b[i + bOff]} with different run-time offsets is not comparable, so the loop stays scalar (measured:
 * five to ten times slower). Every loop here therefore indexes every array with the loop variable alone, over
 * one range {@code [from, to)}. The backend runs them either directly on slices whose offsets agree (the
 * usual case: whole buffers) or on staging tiles it copies to and from ({@code System.arraycopy} is itself
 * vectorised), which costs a copy but no longer depends on the offsets.
 *
 * <p>Conversions between float and double are not vectorised by JDK 17, so the loops here work in float.
 * Each documents why its float evaluation stays within the reference's accuracy.
 */
final class CpuLoops {
    private CpuLoops() {
    }

    /** {@code acc[i] += x[i]}. */
    static void addTo(float[] acc, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            acc[i] += x[i];
        }
    }
}
