package dev.dendrite.layers;

import dev.dendrite.backend.Slice;

/**
 * Multiplicative one-centred Gaussian noise, as Keras's {@code GaussianDropout}: while training
 * {@code y = x * (1 + sqrt(rate / (1 - rate)) * z)} with {@code z} standard normal, new every step; at inference
 * the layer passes its input through. The noise is a pure function of (seed, step, position, layer)
 * ({@link dev.dendrite.backend.Noise}), so the backward pass regenerates it rather than storing it.
 */
public final class GaussianDropout extends NoiseLayer {

    /**
     * @param rate the drop probability it stands for, {@code 0 <= rate < 1} (1, which Keras accepts, would make
     *             the noise's standard deviation infinite)
     */
    public GaussianDropout(double rate) {
        super("rate", checkRate(rate));
    }

    private static double checkRate(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("GaussianDropout rate " + rate + "; expected a fraction in [0, 1)");
        }
        return rate;
    }

    public float rate() {
        return amount();
    }

    @Override
    public String className() {
        return "GaussianDropout";
    }

    @Override
    protected void forwardNoise(LayerContext ctx, Slice x, Slice y, int n) {
        ctx.backend().gaussianDropout(x, y, n, rate(), ctx.seed(), ctx.layerIndex(), ctx.counters());
    }

    @Override
    protected void backwardNoise(LayerContext ctx, Slice dy, Slice dx, int n) {
        ctx.backend().gaussianDropout(dy, dx, n, rate(), ctx.seed(), ctx.layerIndex(), ctx.counters());
    }
}
