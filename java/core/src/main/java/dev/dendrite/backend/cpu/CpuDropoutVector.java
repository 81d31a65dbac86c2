package dev.dendrite.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuDropout}'s loop with the Philox blocks of {@code 2 L} consecutive block indices computed together: each
 * block gives four elements their words, so one pass covers {@code 8 L} elements. Each 32-bit word of the generator
 * lives in the low half of a 64-bit lane, so that one lane-wise 64-bit product gives both halves of the 32x32-bit
 * product Philox needs (AVX-512DQ has it as one instruction).
 *
 * <p>Two groups of {@code L} blocks go through the ten rounds side by side: a round's products wait on the round
 * before, and one group alone left the multiplier idle for most of each product's latency. The keep test comes back
 * as 64-bit lanes, word by word, while the elements want them in 32-bit lanes in element order (element
 * {@code 4 b + w} takes word {@code w} of block {@code b}); a scalar loop moves them into an {@code int[]}, whose
 * sign bits then mask the scaled inputs as whole vectors. On JDK 17 none of the vector routes for that reordering
 * compiles: reinterpreting 64-bit lanes as 32-bit ones is not intrinsified, and a mask's {@code toLong()}
 * allocates (380 KB per bn256 step). Measured on the Intel Xeon, one thread, 16,384 elements (bn256's 64 x 256),
 * hot (2026-12-03): 4.4-6.5 ns per element with one group and the flags as floats blended by a compare, 2.2 with
 * two groups and the int mask; with {@code -XX:UseAVX=2} 8.1-11.9 against 5.1.
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
    /** Elements per group of L blocks; a pass covers two groups. */
    private static final int E = 4 * L;
    private static final long LOW32 = 0xffff_ffffL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final long W0 = 0x9E3779B9L;
    private static final long W1 = 0xBB67AE85L;
    /** 0, 1, ..., L - 1. */
    private static final LongVector IOTA = (LongVector) LS.iotaShuffle(0, 1, false).toVector();

    CpuDropoutVector() {
        if (E % FS.length() != 0 || FS.length() != IS.length()) { // not on any JDK's preferred shapes
            throw new IllegalStateException(FS.length() + " float lanes do not divide " + E + " elements");
        }
    }

    @Override
    public void apply(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                      int stream, float rate) {
        long threshold = CpuDropout.keepThreshold(rate);
        float keep = 1f - rate;
        long key0 = seed & LOW32;
        long key1 = (seed >>> 32) & LOW32;
        LongVector c1Start = LongVector.broadcast(LS, step & LOW32);
        LongVector c2Start = LongVector.broadcast(LS, stream & LOW32);
        // Runs of 2 L whole blocks inside [from, to) go through the vector loop; what is left at either end through
        // the block-wise scalar loop.
        int firstBlock = (from + 3) >>> 2;
        int endBlock = to >>> 2;
        if (firstBlock >= endBlock) {
            CpuDropout.blockwise(in, inOff, out, outOff, from, to, seed, step, stream, rate);
            return;
        }
        CpuDropout.blockwise(in, inOff, out, outOff, from, 4 * firstBlock, seed, step, stream, rate);
        // diff[g * E + w * L + j]: (bits >>> 8) - threshold of word w of block b + g L + j, negative exactly when
        // that element is dropped; mark[e] the same for element 4 b + e, in element order. Small per-call arrays.
        long[] diff = new long[2 * E];
        int[] mark = new int[2 * E];
        int b = firstBlock;
        for (; b <= endBlock - 2 * L; b += 2 * L) {
            LongVector a0 = IOTA.add(b), a1 = c1Start, a2 = c2Start, a3 = LongVector.zero(LS);
            LongVector d0 = IOTA.add(b + L), d1 = c1Start, d2 = c2Start, d3 = LongVector.zero(LS);
            long k0 = key0;
            long k1 = key1;
            for (int round = 0; round < 10; round++) {
                if (round > 0) {
                    k0 = (k0 + W0) & LOW32;
                    k1 = (k1 + W1) & LOW32;
                }
                LongVector pa0 = a0.mul(M0);
                LongVector pa1 = a2.mul(M1);
                LongVector pd0 = d0.mul(M0);
                LongVector pd1 = d2.mul(M1);
                a0 = pa1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, a1)
                        .lanewise(VectorOperators.XOR, k0);
                a2 = pa0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, a3)
                        .lanewise(VectorOperators.XOR, k1);
                a1 = pa1.and(LOW32);
                a3 = pa0.and(LOW32);
                d0 = pd1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, d1)
                        .lanewise(VectorOperators.XOR, k0);
                d2 = pd0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, d3)
                        .lanewise(VectorOperators.XOR, k1);
                d1 = pd1.and(LOW32);
                d3 = pd0.and(LOW32);
            }
            a0.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, 0);
            a1.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, L);
            a2.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, 2 * L);
            a3.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, 3 * L);
            d0.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, E);
            d1.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, E + L);
            d2.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, E + 2 * L);
            d3.lanewise(VectorOperators.LSHR, 8).sub(threshold).intoArray(diff, E + 3 * L);
            // A difference lies in (-2^25, 2^24], so its low 32 bits keep its sign.
            for (int g = 0; g < 2 * E; g += E) {
                for (int j = 0; j < L; j++) {
                    int e = g + 4 * j;
                    mark[e] = (int) diff[g + j];
                    mark[e + 1] = (int) diff[g + L + j];
                    mark[e + 2] = (int) diff[g + 2 * L + j];
                    mark[e + 3] = (int) diff[g + 3 * L + j];
                }
            }
            // The IEEE division x / keep, as the definition does it, on whole vectors; a dropped element's bits are
            // cleared by its mark's sign spread over the lane, giving +0 as the definition's 0f.
            int base = 4 * b;
            for (int e = 0; e < 2 * E; e += FS.length()) {
                IntVector dropped = IntVector.fromArray(IS, mark, e).lanewise(VectorOperators.ASHR, 31);
                FloatVector.fromArray(FS, in, inOff + base + e).div(keep).reinterpretAsInts()
                        .lanewise(VectorOperators.AND_NOT, dropped).reinterpretAsFloats()
                        .intoArray(out, outOff + base + e);
            }
        }
        CpuDropout.blockwise(in, inOff, out, outOff, 4 * b, to, seed, step, stream, rate);
    }
}
