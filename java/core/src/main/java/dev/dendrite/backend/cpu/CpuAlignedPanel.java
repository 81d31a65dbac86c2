package dev.dendrite.backend.cpu;

import java.lang.ref.WeakReference;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A thread's scratch array for {@link CpuGemmVector}'s packed panel of B, with the offset at which the panel
 * should start so that its vector loads do not cross cache lines.
 *
 * <p>Why: the micro-kernel reads the packed panel with full-width vector loads at multiples of the vector width from
 * its start. A {@code float[]}'s elements begin 16 bytes into an object that HotSpot aligns to only 8 bytes, so with
 * AVX-512 a panel at offset 0 starts on a 64-byte line in one placement of eight, and otherwise every load of B
 * straddles two lines and costs two load slots. On the Intel Xeon (AVX-512, one thread, 2026-12-04,
 * {@code bench/results/gemm-align-s14/}) aligned loads made the course's products 4-10% faster (the output layer's
 * weight gradient 29%); a JVM got one speed or the other depending on where its scratch array landed.
 *
 * <p>Java gives no array's address, so {@link #start} measures it: it times a run of vector loads from each
 * candidate offset (every 8 bytes within one vector's width, as objects move in 8-byte steps) and keeps the
 * fastest. The measurement is repeated while the JIT compiler may still be compiling the probe (at calls 1, 2, 4, ...
 * up to {@link #SETTLED_CALLS}) and after every garbage collection, which may have moved the array; a weak reference
 * to a throw-away object tells when one has run. A wrong pick costs only speed: where the panel starts changes no
 * arithmetic, so results are the same bits whatever the offset. With the probe, in the same JVM as main's build
 * (2026-12-04, Intel Xeon, {@code GemmBuildsAB}): the course's products 6-11% faster on one thread and 8-15% on
 * two when main's scratch had landed across lines, level with it when it had not; no change with AVX2.
 */
final class CpuAlignedPanel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Offsets tried, in floats: 0, 2, ..., L - 2 (one vector's width in 8-byte steps). */
    static final int CANDIDATES = L / 2;

    /** Floats read per timing: 16 KiB, which stays in L1 while the candidates take turns. */
    private static final int PROBE_FLOATS = 4096;

    /** Timings per candidate; the fastest counts, which discards the ones an interrupt or the host slowed. */
    private static final int ROUNDS = 3;

    /**
     * Passes over the probe's floats per timing: long enough to time (about 5 us compiled) and, more to the point,
     * enough loop iterations that the JIT compiles the probe within its first few runs. Until then it runs
     * interpreted, boxing every vector, and its timings say nothing about alignment.
     */
    private static final int PASSES = 16;

    /** After this many calls the offset is measured again only after a garbage collection. */
    static final int SETTLED_CALLS = 4096;

    /** Keeps the probes' sums observable, so the compiler cannot drop the loads. */
    private static volatile float sink;

    /** The array; the panel occupies {@code [start(), start() + length)}. */
    final float[] data;

    private int offset;
    private int calls;
    private int probes;
    private WeakReference<Object> sinceCollection = new WeakReference<>(null);

    /** An array with room for a panel of {@code length} floats at any candidate offset. */
    CpuAlignedPanel(int length) {
        data = new float[Math.max(length, PROBE_FLOATS) + L];
    }

    /** Where the panel starts in {@link #data} for this call; re-measured when the array may have moved. */
    int start() {
        if (calls < Integer.MAX_VALUE) {
            calls++;
        }
        boolean warming = calls <= SETTLED_CALLS && Integer.bitCount(calls) == 1;
        if (warming || sinceCollection.get() == null) {
            // Before the JIT has compiled the probe its timings mean nothing: keep those early runs short.
            offset = fastestOffset(data, calls < 256 ? 1 : PASSES);
            probes++;
            sinceCollection = new WeakReference<>(new Object());
        }
        return offset;
    }

    /** How many times {@link #start} has measured the offset. */
    int probes() {
        return probes;
    }

    /** The candidate offset whose vector loads ran fastest; each candidate timed {@link #ROUNDS} times, in turn. */
    static int fastestOffset(float[] data, int passes) {
        long[] best = new long[CANDIDATES];
        java.util.Arrays.fill(best, Long.MAX_VALUE);
        float sum = 0f;
        for (int round = 0; round < ROUNDS; round++) {
            for (int c = 0; c < CANDIDATES; c++) {
                long t0 = System.nanoTime();
                sum += loads(data, 2 * c, passes);
                best[c] = Math.min(best[c], System.nanoTime() - t0);
            }
        }
        sink = sum;
        int fastest = 0;
        for (int c = 1; c < CANDIDATES; c++) {
            if (best[c] < best[fastest]) {
                fastest = c;
            }
        }
        return 2 * fastest;
    }

    /**
     * Adds up {@code passes} runs over {@link #PROBE_FLOATS} floats from {@code from} with vector loads into eight
     * chains: two additions a cycle, so the loads set the pace (two full-width loads a cycle when aligned, about one
     * when each straddles two lines). The additions are fused multiply-adds by one and the total leaves through
     * {@code intoArray}, operations the GEMM kernels use themselves: with {@code add} and {@code reduceLanes} here
     * the kernels' compiled code ran 20-40% slower once the probe had run (the Vector API's shared entry points
     * then saw a second operator).
     */
    private static float loads(float[] a, int from, int passes) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        FloatVector s4 = FloatVector.zero(S);
        FloatVector s5 = FloatVector.zero(S);
        FloatVector s6 = FloatVector.zero(S);
        FloatVector s7 = FloatVector.zero(S);
        // One loop, not a loop per pass: C2 keeps vectors carried around a single loop in registers, and boxed
        // them when they were carried around two nested ones (the probe then ran about 30 times slower).
        int steps = PROBE_FLOATS / (8 * L);  // a power of two
        for (int t = 0; t < passes * steps; t++) {
            int i = from + (t & (steps - 1)) * 8 * L;
            s0 = one.fma(FloatVector.fromArray(S, a, i), s0);
            s1 = one.fma(FloatVector.fromArray(S, a, i + L), s1);
            s2 = one.fma(FloatVector.fromArray(S, a, i + 2 * L), s2);
            s3 = one.fma(FloatVector.fromArray(S, a, i + 3 * L), s3);
            s4 = one.fma(FloatVector.fromArray(S, a, i + 4 * L), s4);
            s5 = one.fma(FloatVector.fromArray(S, a, i + 5 * L), s5);
            s6 = one.fma(FloatVector.fromArray(S, a, i + 6 * L), s6);
            s7 = one.fma(FloatVector.fromArray(S, a, i + 7 * L), s7);
        }
        float[] out = new float[8 * L];
        s0.intoArray(out, 0);
        s1.intoArray(out, L);
        s2.intoArray(out, 2 * L);
        s3.intoArray(out, 3 * L);
        s4.intoArray(out, 4 * L);
        s5.intoArray(out, 5 * L);
        s6.intoArray(out, 6 * L);
        s7.intoArray(out, 7 * L);
        float sum = 0f;
        for (float x : out) {
            sum += x;
        }
        return sum;
    }
}
