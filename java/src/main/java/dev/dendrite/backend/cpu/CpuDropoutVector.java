package dev.dendrite.backend.cpu;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuDropout}'s loop with the Philox blocks of {@code L} consecutive indices computed together. Each 32-bit
 * word of the generator lives in the low half of a 64-bit lane, so that one lane-wise 64-bit product gives both
 * halves of the 32x32-bit product Philox needs (AVX-512DQ has it as one instruction). The keep test comes back
 * as 0/1 lanes stored to a small array (a mask's toLong() allocates in JDK 17: 380 KB per bn256 step) and the
 * scaling stays scalar: a FloatVector of another shape than the GEMM kernel's would
 * share the JDK 17 Vector API's call sites with it and pollute their profiles (measured: the GEMMs of a
 * training step ran 30 times slower once this loop used Float256Vector next to the GEMM's Float512Vector).
 */
final class CpuDropoutVector implements CpuDropout.Kernel {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    private static final int L = LS.length();
    private static final long LOW32 = 0xffff_ffffL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final long W0 = 0x9E3779B9L;
    private static final long W1 = 0xBB67AE85L;
    /** 0, 1, ..., L - 1. */
    private static final LongVector IOTA = (LongVector) LS.iotaShuffle(0, 1, false).toVector();

    @Override
    public void apply(float[] in, int inOff, float[] out, int outOff, int from, int to, long seed, int step,
                      int stream, float rate) {
        long threshold = CpuDropout.keepThreshold(rate);
        long[] dropped = new long[L]; // one small array per call: VectorMask.toLong() is not intrinsic in JDK 17

        float keep = 1f - rate;
        long key0 = seed & LOW32;
        long key1 = (seed >>> 32) & LOW32;
        long c1Start = step & LOW32;
        long c2Start = stream & LOW32;
        int i = from;
        for (; i <= to - L; i += L) {
            LongVector c0 = IOTA.add(i);
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
            c0.lanewise(VectorOperators.LSHR, 8).sub(threshold).lanewise(VectorOperators.LSHR, 63)
                    .intoArray(dropped, 0);
            for (int j = 0; j < L; j++) {
                out[outOff + i + j] = dropped[j] == 0 ? in[inOff + i + j] / keep : 0f;
            }
        }
        CpuDropout.scalar(in, inOff, out, outOff, i, to, seed, step, stream, rate);
    }
}
