package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.cpu.CpuParallel.PHILOX;
import static dev.dendrite.backend.cpu.CpuParallel.TRANSCENDENTAL;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.Noise;
import dev.dendrite.backend.NoiseOps;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.Slice;

/**
 * The CPU's noise layers: {@link Noise}'s definition, one Philox block per four elements (a block is computed once
 * for the elements that share it, whatever the split between threads).
 */
record CpuNoiseOps(CpuParallel par) implements NoiseOps {
    /** What an element costs: a quarter of a Philox block plus a log and a cosine in double. */
    private static final int NORMAL = PHILOX / 4 + 2 * TRANSCENDENTAL;

    /** The element-wise function of a noise op, given the element's block. */
    private interface Element {
        float apply(float in, int[] words, int i);
    }

    @Override
    public void gaussian(Slice in, Slice out, int n, float add, float mul, long seed, int stream, Slice counters) {
        // kernels/common/noise.h's dendrite_gaussian, operation for operation.
        run(in, out, n, seed, stream, counters, NORMAL, (x, w, i) -> {
            float z = Noise.normal(w, i);
            return x * (1f + mul * z) + add * z;
        });
    }

    @Override
    public void alphaDropout(String op, Slice in, Slice out, int n, float rate, float a, float b, float dropped,
                             long seed, int stream, Slice counters) {
        // Philox.uniform's 24 bits of word (i & 3), compared as dropout compares them.
        run(in, out, n, seed, stream, counters, PHILOX / 4,
                (x, w, i) -> ((w[i & 3] >>> 8) * 0x1.0p-24f >= rate) ? a * x + b : dropped);
    }

    private void run(Slice in, Slice out, int n, long seed, int stream, Slice counters, int cost, Element f) {
        CpuFloats xs = CpuFloats.of(in);
        CpuFloats ys = CpuFloats.of(out);
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        par.forRange(n, cost, (from, to) -> {
            int[] words = new int[4];
            for (int i = from; i < to; i++) {
                if (i == from || (i & 3) == 0) {
                    Philox.block(seed, i >>> 2, step, stream, words);
                }
                ys.set(i, f.apply(xs.get(i), words, i));
            }
        });
    }
}
