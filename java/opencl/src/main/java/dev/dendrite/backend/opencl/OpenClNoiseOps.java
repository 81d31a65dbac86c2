package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.step;

import dev.dendrite.backend.NoiseOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;

/**
 * The OpenCL backend's noise layers (kernels/opencl/noise.cl): a work-item per Philox block of four elements.
 */
record OpenClNoiseOps(OpenClContext ctx) implements NoiseOps {
    @Override
    public void gaussian(Slice in, Slice out, int n, float add, float mul, long seed, int stream, Slice counters) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("noise.cl", "gaussian_noise");
            ctx.withArgs(k, in, out, n, add, mul, (int) seed, (int) (seed >>> 32), stream, step(counters));
            ctx.run1(k, (n + 3L) / 4);
        } catch (CLException e) {
            throw ctx.clFailure(mul == 0f ? "gaussianNoise" : "gaussianDropout", "n=" + n, e);
        }
    }

    @Override
    public void alphaDropout(String op, Slice in, Slice out, int n, float rate, float a, float b, float dropped,
                             long seed, int stream, Slice counters) {
        if (n == 0) {
            return;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("noise.cl", "alpha_dropout");
            ctx.withArgs(k, in, out, n, rate, a, b, dropped, (int) seed, (int) (seed >>> 32), stream, step(counters));
            ctx.run1(k, (n + 3L) / 4);
        } catch (CLException e) {
            throw ctx.clFailure(op, "n=" + n + ", rate=" + rate, e);
        }
    }
}
