package dev.dendrite.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuDropout}'s loop with the Philox blocks of {@code L} consecutive block indices computed together: each
 * block gives four elements their words, so one pass covers {@code 4 L} elements. Each 32-bit word of the generator
 * lives in the low half of a 64-bit lane, so that one lane-wise 64-bit product gives both halves of the 32x32-bit
 * product Philox needs (AVX-512DQ has it as one instruction).
 *
 * <p>The keep test comes back as 64-bit lanes, word by word, while the elements want 32-bit lanes in element order
 * (element {@code 4 b + w} takes word {@code w} of block {@code b}). A scalar loop moves the tests' differences into
 * an {@code int[]} in element order, and their sign bits, spread over each lane, clear the dropped elements of the
 * scaled inputs as whole vectors. On JDK 17 no vector route for that reordering compiles: reinterpreting 64-bit
 * lanes as 32-bit ones is not intrinsified, and a mask's {@code toLong()} allocates (380 KB per bn256 step).
 *
 * <p>Measured on the Intel Xeon (2026-12-03, bench/results/dropout-vector): inside bn256's epochs (64 x 256, 16K
 * elements a call) 74-92 us a call against 99-115 for the loop before, which stored the tests as floats through a
 * two-dimensional array and blended on a compare; 143-146 against 171-185 with {@code -XX:UseAVX=2}. Two groups of
 * blocks through the rounds side by side ran twice as fast as one on its own, called back to back, but 1.6-2x
 * slower than one inside the epochs, and were dropped.
 *
 * <p>The scaling runs on the GEMM kernel's own float species: a FloatVector of another shape would share the JDK 17
 * Vector API's call sites with the GEMM's and pollute their profiles (measured: the GEMMs of a training step ran 30
 * times slower once this loop used Float256Vector next to the GEMM's Float512Vector).
 */
final class CpuDropoutVector implements CpuDropout.Kernel {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    private static final int L = LS.length();
    /** The GEMM kernel's float species, and no other (see the class comment), and the int species of its shape. */
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    /**
     * Elements per pass: four per block. Preferred species share one shape, so a float vector has twice the lanes
     * of a long vector and a pass is exactly two float vectors.
     */
    private static final int E = 4 * L;
    private static final long LOW32 = 0xffff_ffffL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final long W0 = 0x9E3779B9L;
    private static final long W1 = 0xBB67AE85L;
    /** 0, 1, ..., L - 1. */
    private static final LongVector IOTA = (LongVector) LS.iotaShuffle(0, 1, false).toVector();
    // The round's constants as vectors made once: the Vector API's scalar forms (mul(long), and(long), xor(long))
    // broadcast inside its own calls, and inlined this deep into the dropout op such a nested broadcast sometimes
    // failed to compile as an intrinsic, after which the round's vectors went to the heap (HeapVectorCheck, AMD EPYC
    // AVX-512, 2026-12-07: 1.5 MB a call once every op had run; the same fault as in the optimizers' dot2). Shifts
    // keep their int counts: that form is its own intrinsic, while a shift by a vector masks the counts with a
    // nested and(long), the same fault again (JFR, the same machine).
    private static final LongVector M0V = LongVector.broadcast(LS, M0);
    private static final LongVector M1V = LongVector.broadcast(LS, M1);
    private static final LongVector LOW32V = LongVector.broadcast(LS, LOW32);
    private static final IntVector ALL_ONES = IntVector.broadcast(IS, -1);

    CpuDropoutVector() {
        if (E % FS.length() != 0) { // not on any JDK's preferred shapes; CpuDropout then keeps the scalar loop
            throw new IllegalStateException(FS.length() + " float lanes do not divide " + E + " elements");
        }
    }

    @Override
    public void apply(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                      int stream, float rate, int[] marks) {
        long threshold = CpuDropout.keepThreshold(rate);
        float keep = 1f - rate;
        long key0 = seed & LOW32;
        long key1 = (seed >>> 32) & LOW32;
        long c1Start = step & LOW32;
        long c2Start = stream & LOW32;
        // diff[w * L + j]: (bits >>> 8) - threshold of word w of block b + j, negative exactly when that element is
        // dropped; the same for element 4 b + e, in element order, goes to marks[4 b + e] when the caller keeps the
        // mask, else to a small per-call array.
        long[] diff = new long[E];
        int[] mark = marks != null ? marks : new int[E];
        // Runs of L whole blocks inside [from, to) go through the vector loop; what is left at either end through
        // the block-wise scalar loop.
        int firstBlock = (from + 3) >>> 2;
        int endBlock = to >>> 2;
        if (firstBlock >= endBlock) {
            CpuDropout.blockwise(in, inOff, out, outOff, from, to, seed, step, stream, rate, marks);
            return;
        }
        CpuDropout.blockwise(in, inOff, out, outOff, from, 4 * firstBlock, seed, step, stream, rate, marks);
        int b = firstBlock;
        LongVector c1Init = LongVector.broadcast(LS, c1Start);
        LongVector c2Init = LongVector.broadcast(LS, c2Start);
        LongVector thresholdV = LongVector.broadcast(LS, threshold);
        for (; b <= endBlock - L; b += L) {
            LongVector c0 = IOTA.add(LongVector.broadcast(LS, b));
            LongVector c1 = c1Init;
            LongVector c2 = c2Init;
            LongVector c3 = LongVector.zero(LS);
            long k0 = key0;
            long k1 = key1;
            for (int round = 0; round < 10; round++) {
                if (round > 0) {
                    k0 = (k0 + W0) & LOW32;
                    k1 = (k1 + W1) & LOW32;
                }
                LongVector k0v = LongVector.broadcast(LS, k0);
                LongVector k1v = LongVector.broadcast(LS, k1);
                LongVector p0 = c0.mul(M0V);
                LongVector p1 = c2.mul(M1V);
                LongVector n0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1)
                        .lanewise(VectorOperators.XOR, k0v);
                LongVector n2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3)
                        .lanewise(VectorOperators.XOR, k1v);
                c1 = p1.and(LOW32V);
                c3 = p0.and(LOW32V);
                c0 = n0;
                c2 = n2;
            }
            c0.lanewise(VectorOperators.LSHR, 8).sub(thresholdV).intoArray(diff, 0);
            c1.lanewise(VectorOperators.LSHR, 8).sub(thresholdV).intoArray(diff, L);
            c2.lanewise(VectorOperators.LSHR, 8).sub(thresholdV).intoArray(diff, 2 * L);
            c3.lanewise(VectorOperators.LSHR, 8).sub(thresholdV).intoArray(diff, 3 * L);
            // A difference lies in (-2^25, 2^24], so its low 32 bits keep its sign.
            int base = 4 * b;
            int m = marks != null ? base : 0;
            for (int j = 0; j < L; j++) {
                mark[m + 4 * j] = (int) diff[j];
                mark[m + 4 * j + 1] = (int) diff[L + j];
                mark[m + 4 * j + 2] = (int) diff[2 * L + j];
                mark[m + 4 * j + 3] = (int) diff[3 * L + j];
            }
            scale(in, inOff, out, outOff, base, mark, m, keep);
        }
        CpuDropout.blockwise(in, inOff, out, outOff, 4 * b, to, seed, step, stream, rate, marks);
    }

    @Override
    public void reapply(float[] in, int inOff, float[] out, int outOff, int from, int to, int[] marks, float rate) {
        float keep = 1f - rate;
        int i = from;
        for (; i <= to - E; i += E) {
            scale(in, inOff, out, outOff, i, marks, i, keep);
        }
        CpuDropout.reapplyScalar(in, inOff, out, outOff, i, to, marks, rate);
    }

    /**
     * Elements {@code [base, base + E)}: the IEEE division x / keep, as the definition does it, on whole vectors; a
     * dropped element's bits are cleared by its mark's sign (from {@code mark[m]} on) spread over the lane, giving
     * +0 as the definition's 0f.
     */
    private static void scale(float[] in, int inOff, float[] out, int outOff, int base, int[] mark, int m,
                              float keep) {
        // keep is broadcast here, once, not by div(float) inside the loop: inlined deep into the dropout op, a
        // broadcast nested in the Vector API's own calls sometimes failed to compile as an intrinsic, and the
        // loop's vectors then went to the heap (JFR, one drop512 run in four, AMD EPYC AVX-512, 2026-12-07; the
        // same fault in the optimizers' dot2).
        // Nor AND_NOT: JDK 17 rewrites it as AND with NOT, and NOT as an xor with a broadcast -1, the same nested
        // broadcast (JFR: the backward pass's reapply boxed 390 KB a call). The kept lanes' all-ones come from an
        // xor with a constant made once.
        FloatVector keepV = FloatVector.broadcast(FS, keep);
        for (int e = 0; e < E; e += FS.length()) {
            IntVector kept = IntVector.fromArray(IS, mark, m + e).lanewise(VectorOperators.ASHR, 31)
                    .lanewise(VectorOperators.XOR, ALL_ONES);
            FloatVector.fromArray(FS, in, inOff + base + e).div(keepV).reinterpretAsInts().and(kept)
                    .reinterpretAsFloats().intoArray(out, outOff + base + e);
        }
    }
}
