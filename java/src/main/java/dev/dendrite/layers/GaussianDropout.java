package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Multiplicative one-centred Gaussian noise, as Keras's {@code GaussianDropout}: while training
 * {@code y = x * (1 + sqrt(rate / (1 - rate)) * z)} with {@code z} standard normal, new every step; at inference
 * the layer passes its input through. The noise is a pure function of (seed, step, position, layer)
 * ({@link dev.dendrite.backend.Noise}), so the backward pass regenerates it rather than storing it.
 */
public final class GaussianDropout extends Layer {
    private final float rate;

    /**
     * @param rate the drop probability it stands for, {@code 0 <= rate < 1} (1, which Keras accepts, would make
     *             the noise's standard deviation infinite)
     */
    public GaussianDropout(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("GaussianDropout rate " + rate + "; expected a fraction in [0, 1)");
        }
        this.rate = (float) rate;
    }

    public float rate() {
        return rate;
    }

    @Override
    public String className() {
        return "GaussianDropout";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return inputShape;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int n = ctx.rows() * outputSize();
        if (training && rate > 0) {
            ctx.backend().gaussianDropout(x, y, n, rate, ctx.seed(), ctx.layerIndex(), ctx.counters());
        } else {
            ctx.backend().copy(x.slice(0, n), y.slice(0, n));
        }
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx == null) {
            return;
        }
        int n = ctx.rows() * outputSize();
        if (rate > 0) {
            ctx.backend().gaussianDropout(dy, dx, n, rate, ctx.seed(), ctx.layerIndex(), ctx.counters());
        } else {
            ctx.backend().copy(dy.slice(0, n), dx.slice(0, n));
        }
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("rate", (double) rate);
    }
}
