package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;
import dev.dendrite.backend.AugmentOps;
import dev.dendrite.backend.Mixup;
import dev.dendrite.backend.PixelAugment;
import dev.dendrite.backend.Slice;

/**
 * The CPU's augmentation: {@link Augment}'s loops (the affine one vectorised by {@link CpuAffine}), images split
 * across the threads.
 */
record CpuAugmentOps(CpuParallel par) implements AugmentOps {
    /** Simple operations per output pixel of the affine op (two Philox blocks per image are a small share). */
    private static final int AFFINE_COST = 40;
    private static final int PIXELS_COST = 8;
    /** Per output value of mixup: one fused multiply-add (the Beta draws, per row, are a small share). */
    private static final int MIXUP_COST = 2;

    @Override
    public void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed,
                              int stream, Slice counters) {
        float[] xs = floats(x);
        float[] ys = floats(y);
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        par.forRange(rows, AFFINE_COST * height * width, (from, to) -> CpuAffine.kernel().apply(xs, x.offset(), ys,
                y.offset(), from, to, height, width, spec, seed, step, stream));
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

    @Override
    public void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                      long seed, int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        float[] xs = floats(x);
        int[] labels = sparseLabels ? ints(y) : null;
        float[] targets = sparseLabels ? null : floats(y);
        float[] xo = floats(xOut);
        float[] yo = floats(yOut);
        float[] lam = floats(lambdas);
        int step = ints(counters)[counters.offset() + COUNTER_STEP];
        par.forRange(rows, MIXUP_COST * (xWidth + classes), (from, to) -> Mixup.apply(xs, x.offset(), labels,
                targets, y.offset(), rows, xWidth, classes, alpha, seed, step, stream, xo, xOut.offset(), yo,
                yOut.offset(), lam, lambdas.offset(), from, to));
    }
}
