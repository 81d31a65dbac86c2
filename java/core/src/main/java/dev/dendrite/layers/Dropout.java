package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Inverted dropout (Srivastava et al., 2014): while training, each value is zeroed with probability
 * {@code rate} and the survivors are scaled by {@code 1 / (1 - rate)}; at inference the layer passes its
 * input through. The mask is a pure function of (seed, step, position, layer), so the backward pass
 * regenerates it rather than storing it.
 */
public final class Dropout extends Layer {
    private final float rate;

    public Dropout(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("Dropout rate " + rate + "; expected a fraction in [0, 1)");
        }
        this.rate = (float) rate;
    }

    public float rate() {
        return rate;
    }

    @Override
    public String className() {
        return "Dropout";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return inputShape;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int n = ctx.rows() * outputSize();
        if (training && rate > 0) {
            ctx.backend().dropoutForward(x, y, n, rate, ctx.seed(), ctx.layerIndex(), ctx.counters());
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
            ctx.backend().dropoutBackward(dy, dx, n, rate, ctx.seed(), ctx.layerIndex(), ctx.counters());
        } else {
            ctx.backend().copy(dy.slice(0, n), dx.slice(0, n));
        }
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("rate", (double) rate);
    }
}
