package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ptr;

import dev.dendrite.backend.NoiseOps;
import dev.dendrite.backend.Slice;

/**
 * The CUDA backend's noise layers (kernels/cuda/noise.cu): a thread per Philox block of four elements.
 */
record CudaNoiseOps(CudaContext ctx) implements NoiseOps {
    @Override
    public void gaussian(Slice in, Slice out, int n, float add, float mul, long seed, int stream, Slice counters) {
        ctx.launchElements(mul == 0f ? "gaussianNoise" : "gaussianDropout", n, CudaKernel.GAUSSIAN_NOISE,
                ctx.elementGrid((n + 3L) / 4), ptr(in), ptr(out), n, add, mul, (int) seed, (int) (seed >>> 32), stream,
                ptr(counters));
    }

    @Override
    public void alphaDropout(String op, Slice in, Slice out, int n, float rate, float a, float b, float dropped,
                             long seed, int stream, Slice counters) {
        String context = "n=" + n + ", rate=" + rate;
        ctx.launchItems(op, context, n, CudaKernel.ALPHA_DROPOUT, ctx.elementGrid((n + 3L) / 4), ptr(in), ptr(out), n,
                rate, a, b, dropped, (int) seed, (int) (seed >>> 32), stream, ptr(counters));
    }
}
