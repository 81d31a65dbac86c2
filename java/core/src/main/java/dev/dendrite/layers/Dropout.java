package dev.dendrite.layers;

import dev.dendrite.backend.Slice;

/**
 * Inverted dropout (Srivastava et al., 2014): while training, each value is zeroed with probability
 * {@code rate} and the survivors are scaled by {@code 1 / (1 - rate)}; at inference the layer passes its
 * input through. The mask is a pure function of (seed, step, position, layer), so the backward pass
 * regenerates it rather than storing it.
 */
public final class Dropout extends NoiseLayer {

    public Dropout(double rate) {
        super("rate", checkRate(rate));
    }

    private static double checkRate(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("Dropout rate " + rate + "; expected a fraction in [0, 1)");
        }
        return rate;
    }

    public float rate() {
        return amount();
    }

    @Override
    public String className() {
        return "Dropout";
    }

    @Override
    protected void forwardNoise(LayerContext ctx, Slice x, Slice y, int n) {
        ctx.backend().dropoutForward(x, y, n, rate(), ctx.seed(), ctx.layerIndex(), ctx.counters());
    }

    @Override
    protected void backwardNoise(LayerContext ctx, Slice dy, Slice dx, int n) {
        ctx.backend().dropoutBackward(dy, dx, n, rate(), ctx.seed(), ctx.layerIndex(), ctx.counters());
    }
}
