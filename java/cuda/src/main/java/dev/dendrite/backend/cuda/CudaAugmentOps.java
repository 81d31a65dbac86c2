package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.AugmentOps;
import dev.dendrite.backend.PixelAugment;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's augmentation (kernels/cuda/augment.cu). The spec's values go through typed locals so that
 * CudaKernelNamesTest can check each launch argument's kind against the kernel's signature.
 */
record CudaAugmentOps(CudaContext ctx) implements AugmentOps {
    @Override
    public void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment a, long seed,
                              int stream, Slice counters) {
        CUdeviceptr augIn = ptr(x);
        CUdeviceptr augOut = ptr(y);
        CUdeviceptr augCounters = ptr(counters);
        long n = (long) rows * height * width;
        if (n == 0) {
            return;
        }
        float rotLo = a.rotationLo();
        float rotHi = a.rotationHi();
        float thLo = a.shiftHeightLo();
        float thHi = a.shiftHeightHi();
        float twLo = a.shiftWidthLo();
        float twHi = a.shiftWidthHi();
        float zhLo = a.zoomHeightLo();
        float zhHi = a.zoomHeightHi();
        float zwLo = a.zoomWidthLo();
        float zwHi = a.zoomWidthHi();
        float shearLo = a.shearLo();
        float shearHi = a.shearHi();
        int flags = a.flags();
        int fillMode = a.fillMode().code();
        int interpolation = a.interpolation().code();
        float fillValue = a.fillValue();
        try {
            // a thread per output pixel
            ctx.launch(CudaKernel.AUGMENT_AFFINE, ctx.elementGrid(n), BLOCK, 1, 0, augIn, augOut, rows, height, width,
                    rotLo, rotHi, thLo, thHi, twLo, twHi, zhLo, zhHi, zwLo, zwHi, shearLo, shearHi, flags, fillMode,
                    interpolation, fillValue, (int) seed, (int) (seed >>> 32), stream, augCounters);
        } catch (CudaException e) {
            throw ctx.fail("augmentAffine", rows + " images of " + height + "x" + width, e);
        }
    }

    @Override
    public void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment s, long seed,
                              int stream, Slice counters) {
        CUdeviceptr augIn = ptr(x);
        CUdeviceptr augOut = ptr(y);
        CUdeviceptr augCounters = ptr(counters);
        if (rows == 0) {
            return;
        }
        float contrastLo = s.contrastLo();
        float contrastHi = s.contrastHi();
        float brightnessLo = s.brightnessLo();
        float brightnessHi = s.brightnessHi();
        float valueMin = s.valueMin();
        float valueMax = s.valueMax();
        float eraseLo = s.eraseLo();
        float eraseHi = s.eraseHi();
        float scaleLo = s.scaleLo();
        float scaleHi = s.scaleHi();
        float eraseValue = s.eraseValue();
        int pixelFlags = s.flags();
        try {
            // a thread per image: contrast needs the image's mean
            ctx.launch(CudaKernel.AUGMENT_PIXELS, ctx.elementGrid(rows), BLOCK, 1, 0, augIn, augOut, rows, height,
                    width, contrastLo, contrastHi, brightnessLo, brightnessHi, valueMin, valueMax, eraseLo, eraseHi,
                    scaleLo, scaleHi, eraseValue, pixelFlags, (int) seed, (int) (seed >>> 32), stream, augCounters);
        } catch (CudaException e) {
            throw ctx.fail("augmentPixels", rows + " images of " + height + "x" + width, e);
        }
    }

    @Override
    public void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                      long seed, int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        CUdeviceptr mixIn = ptr(x);
        CUdeviceptr mixTargets = ptr(y);
        CUdeviceptr mixCounters = ptr(counters);
        CUdeviceptr mixLambdas = ptr(lambdas);
        CUdeviceptr mixXOut = ptr(xOut);
        CUdeviceptr mixYOut = ptr(yOut);
        if (rows == 0) {
            return;
        }
        int sparse = sparseLabels ? 1 : 0;
        int seedLo = (int) seed;
        int seedHi = (int) (seed >>> 32);
        long n = (long) rows * (xWidth + classes);
        try {
            // a thread per sample draws its lambda, then a thread per output value mixes
            ctx.launch(CudaKernel.MIXUP_LAMBDAS, ctx.elementGrid(rows), BLOCK, 1, 0, rows, alpha, seedLo, seedHi,
                    stream, mixCounters, mixLambdas);
            ctx.launch(CudaKernel.MIXUP_APPLY, ctx.elementGrid(n), BLOCK, 1, 0, mixIn, mixTargets, sparse, rows,
                    xWidth, classes, seedLo, seedHi, stream, mixCounters, mixLambdas, mixXOut, mixYOut);
        } catch (CudaException e) {
            throw ctx.fail("mixup", rows + " rows of " + xWidth + " inputs and " + classes + " classes", e);
        }
    }
}
