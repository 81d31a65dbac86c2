package dev.dendrite.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuDropout}'s loop with the Philox blocks of {@code L} consecutive block indices computed together: each
 * block gives four elements their words, so one pass covers {@code 4 L} elements. Each 32-bit word of the generator
 * lives in the low half of a 64-bit lane, so that one lane-wise 64-bit product gives both halves of the 32x32-bit
 * product Philox needs (AVX-512DQ has it as one instruction). The keep test comes back as 0/1 lanes stored to small
 * arrays (a mask's toLong() allocates in JDK 17: 380 KB per bn256 step), and the scaling runs on the GEMM kernel's
 * own float species: a FloatVector of another shape would share the JDK 17 Vector API's call sites with the GEMM's
 * and pollute their profiles (measured: the GEMMs of a training step ran 30 times slower once this loop used
 * Float256Vector next to the GEMM's Float512Vector).
 */
final class CpuDropoutVector implements CpuDropout.Kernel {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    private static final int L = LS.length();
    /** The GEMM kernel's float species, and no other (see the class comment). */
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
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

    CpuDropoutVector() {
        if (E % FS.length() != 0) { // not on any JDK's preferred shapes; CpuDropout then keeps the scalar loop
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
        long c1Start = step & LOW32;
        long c2Start = stream & LOW32;
        // dropped[w][j] = 1 when element 4 (b + j) + w is dropped; flags[e] the same in element order (as float, to
        // load as a float vector). Small per-call arrays; see the class comment.
        long[][] dropped = new long[4][L];
        float[] flags = new float[E];
        FloatVector zero = FloatVector.zero(FS);
        // Runs of L whole blocks inside [from, to) go through the vector loop; what is left at either end through
        // the block-wise scalar loop.
        int firstBlock = (from + 3) >>> 2;
        int endBlock = to >>> 2;
        if (firstBlock >= endBlock) {
            CpuDropout.blockwise(in, inOff, out, outOff, from, to, seed, step, stream, rate);
            return;
        }
        CpuDropout.blockwise(in, inOff, out, outOff, from, 4 * firstBlock, seed, step, stream, rate);
        int b = firstBlock;
        for (; b <= endBlock - L; b += L) {
            LongVector c0 = IOTA.add(b);
            LongVector c1 = LongVector.broadcast(LS, c1Start);
            LongVector c2 = LongVector.broadcast(LS, c2Start);
            LongVector c3 = LongVector.zero(LS);
            long k0 = key0;
            long k1 = key1;
            for (int round = 0; round < 10; round++) {
                if (round > 0) {
                    k0 = (k0 + W0) & LOW32;
                    k1 = (k1 + W1) & LOW32;
                }
                LongVector p0 = c0.mul(M0);
                LongVector p1 = c2.mul(M1);
                LongVector n0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1)
                        .lanewise(VectorOperators.XOR, k0);
                LongVector n2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3)
                        .lanewise(VectorOperators.XOR, k1);
                c1 = p1.and(LOW32);
                c3 = p0.and(LOW32);
                c0 = n0;
                c2 = n2;
            }
            // (bits >>> 8) - threshold is negative, so its sign bit set, exactly when the element is dropped.
            dropFlags(c0, threshold).intoArray(dropped[0], 0);
            dropFlags(c1, threshold).intoArray(dropped[1], 0);
            dropFlags(c2, threshold).intoArray(dropped[2], 0);
            dropFlags(c3, threshold).intoArray(dropped[3], 0);
            int base = 4 * b;
            for (int j = 0; j < L; j++) {
                for (int w = 0; w < 4; w++) {
                    flags[4 * j + w] = dropped[w][j];
                }
            }
            // The IEEE division x / keep, as the definition does it, on whole vectors: the division was most of
            // the loop's time once the blocks were shared.
            for (int e = 0; e < E; e += FS.length()) {
                FloatVector x = FloatVector.fromArray(FS, in, inOff + base + e);
                zero.blend(x.div(keep), FloatVector.fromArray(FS, flags, e).compare(VectorOperators.EQ, 0f))
                        .intoArray(out, outOff + base + e);
            }
        }
        CpuDropout.blockwise(in, inOff, out, outOff, 4 * b, to, seed, step, stream, rate);
    }

    private static LongVector dropFlags(LongVector word, long threshold) {
        return word.lanewise(VectorOperators.LSHR, 8).sub(threshold).lanewise(VectorOperators.LSHR, 63);
    }
}
