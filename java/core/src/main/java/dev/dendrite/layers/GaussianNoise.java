package dev.dendrite.layers;

import dev.dendrite.backend.Slice;

/**
 * Additive zero-centred Gaussian noise, as Keras's {@code GaussianNoise}: while training
 * {@code y = x + stddev * z} with {@code z} standard normal, new every step; at inference the layer passes its
 * input through. The noise is a pure function of (seed, step, position, layer) ({@link dev.dendrite.backend.Noise}),
 * the same on every backend; the backward pass is the identity.
 */
public final class GaussianNoise extends NoiseLayer {

    /**
     * @param stddev the noise's standard deviation; Keras 3 accepts {@code 0 <= stddev <= 1}
     * @throws IllegalArgumentException outside that range
     */
    public GaussianNoise(double stddev) {
        super("stddev", checkStddev(stddev));
    }

    private static double checkStddev(double stddev) {
        if (!(stddev >= 0 && stddev <= 1)) {
            throw new IllegalArgumentException("GaussianNoise stddev " + stddev + "; expected a value in [0, 1]"
                    + " (as Keras 3)");
        }
        return stddev;
    }

    public float stddev() {
        return amount();
    }

    @Override
    public String className() {
        return "GaussianNoise";
    }

    @Override
    protected void forwardNoise(LayerContext ctx, Slice x, Slice y, int n) {
        ctx.backend().gaussianNoise(x, y, n, stddev(), ctx.seed(), ctx.layerIndex(), ctx.counters());
    }

    @Override
    protected void backwardNoise(LayerContext ctx, Slice dy, Slice dx, int n) {
        ctx.backend().copy(dy.slice(0, n), dx.slice(0, n));
    }
}
