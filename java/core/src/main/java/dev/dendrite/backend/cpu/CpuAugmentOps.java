package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;
import dev.dendrite.backend.AugmentOps;
import dev.dendrite.backend.PixelAugment;
import dev.dendrite.backend.Slice;

/** The CPU's augmentation: {@link Augment}'s loops, images split across the threads. */
record CpuAugmentOps(CpuParallel par) implements AugmentOps {
    /** Simple operations per output pixel of the affine op (two Philox blocks per image are a small share). */
    private static final int AFFINE_COST = 40;
    private static final int PIXELS_COST = 8;

    @Override
    public void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed,
                              int stream, Slice counters) {
        float[] xs = floats(x);
        float[] ys = floats(y);
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        par.forRange(rows, AFFINE_COST * height * width, (from, to) -> Augment.affine(xs, x.offset(), ys, y.offset(),
                from, to, height, width, spec, seed, step, stream));
    }

    @Override
    public void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment spec, long seed,
                              int stream, Slice counters) {
        float[] xs = floats(x);
        float[] ys = floats(y);
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        par.forRange(rows, PIXELS_COST * height * width, (from, to) -> Augment.pixels(xs, x.offset(), ys, y.offset(),
                from, to, height, width, spec, seed, step, stream));
    }
}
