package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.NoiseOps;
import dev.dendrite.backend.Slice;

/**
 * The OpenCL backend's noise layers (kernels/opencl/noise.cl): a work-item per Philox block of four elements.
 */
record OpenClNoiseOps(OpenClContext ctx) implements NoiseOps {
    @Override
    public void gaussian(Slice in, Slice out, int n, float add, float mul, long seed, int stream, Slice counters) {
        ctx.runItems(mul == 0f ? "gaussianNoise" : "gaussianDropout", "n=" + n, (n + 3L) / 4, "noise.cl",
                "gaussian_noise", in, out, n, add, mul, (int) seed, (int) (seed >>> 32), stream, step(counters));
    }

    @Override
    public void alphaDropout(String op, Slice in, Slice out, int n, float rate, float a, float b, float dropped,
                             long seed, int stream, Slice counters) {
        ctx.runItems(op, "n=" + n + ", rate=" + rate, (n + 3L) / 4, "noise.cl", "alpha_dropout", in, out, n, rate, a,
                b, dropped, (int) seed, (int) (seed >>> 32), stream, step(counters));
    }
}
