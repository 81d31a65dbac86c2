package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.AugmentOps;
import dev.dendrite.backend.PixelAugment;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/** The OpenCL backend's augmentation (kernels/opencl/augment.cl). */
record OpenClAugmentOps(OpenClContext ctx) implements AugmentOps {
    @Override
    public void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment a, long seed,
                              int stream, Slice counters) {
        long n = (long) rows * height * width;
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("augment.cl", "augment_affine");
            ctx.withArgs(k, x, y, rows, height, width, a.rotationLo(), a.rotationHi(), a.shiftHeightLo(),
                    a.shiftHeightHi(), a.shiftWidthLo(), a.shiftWidthHi(), a.zoomHeightLo(), a.zoomHeightHi(),
                    a.zoomWidthLo(), a.zoomWidthHi(), a.shearLo(), a.shearHi(), a.flags(), a.fillMode().code(),
                    a.interpolation().code(), a.fillValue(), (int) seed, (int) (seed >>> 32), stream, step(counters));
            ctx.run1(k, n); // a work-item per output pixel
        } catch (CLException e) {
            throw ctx.clFailure("augmentAffine", rows + " images of " + height + "x" + width, e);
        }
    }

    @Override
    public void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment s, long seed,
                              int stream, Slice counters) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("augment.cl", "augment_pixels");
            ctx.withArgs(k, x, y, rows, height, width, s.contrastLo(), s.contrastHi(), s.brightnessLo(),
                    s.brightnessHi(), s.valueMin(), s.valueMax(), s.eraseLo(), s.eraseHi(), s.scaleLo(), s.scaleHi(),
                    s.eraseValue(), s.flags(), (int) seed, (int) (seed >>> 32), stream, step(counters));
            ctx.run1(k, rows); // a work-item per image
        } catch (CLException e) {
            throw ctx.clFailure("augmentPixels", rows + " images of " + height + "x" + width, e);
        }
    }

    @Override
    public void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                      long seed, int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        if (rows == 0) {
            return;
        }
        try {
            OpenClKernel draw = ctx.programs.kernel("augment.cl", "mixup_lambdas");
            ctx.withArgs(draw, rows, alpha, (int) seed, (int) (seed >>> 32), stream, step(counters), lambdas);
            ctx.run1(draw, rows); // a work-item per sample
            OpenClKernel mix = ctx.programs.kernel("augment.cl", "mixup_apply");
            mix.args().mem(ctx.mem(x), x.offset()).mem(ctx.mem(y)).mem(ctx.mem(y), y.offset()).i(sparseLabels ? 1 : 0)
                    .i(rows).i(xWidth).i(classes).i((int) seed).i((int) (seed >>> 32)).i(stream)
                    .mem(ctx.mem(counters), counters.offset() + COUNTER_STEP).mem(ctx.mem(lambdas), lambdas.offset())
                    .mem(ctx.mem(xOut), xOut.offset()).mem(ctx.mem(yOut), yOut.offset());
            ctx.run1(mix, (long) rows * (xWidth + classes)); // a work-item per output value
        } catch (CLException e) {
            throw ctx.clFailure("mixup", rows + " rows of " + xWidth + " inputs and " + classes + " classes", e);
        }
    }
}
