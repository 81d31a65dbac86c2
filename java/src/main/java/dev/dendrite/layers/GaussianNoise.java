package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Additive zero-centred Gaussian noise, as Keras's {@code GaussianNoise}: while training
 * {@code y = x + stddev * z} with {@code z} standard normal, new every step; at inference the layer passes its
 * input through. The noise is a pure function of (seed, step, position, layer) ({@link dev.dendrite.backend.Noise}),
 * the same on every backend; the backward pass is the identity.
 */
public final class GaussianNoise extends Layer {
    private final float stddev;

    /**
     * @param stddev the noise's standard deviation; Keras 3 accepts {@code 0 <= stddev <= 1}
     * @throws IllegalArgumentException outside that range
     */
    public GaussianNoise(double stddev) {
        if (!(stddev >= 0 && stddev <= 1)) {
            throw new IllegalArgumentException("GaussianNoise stddev " + stddev + "; expected a value in [0, 1]"
                    + " (as Keras 3)");
        }
        this.stddev = (float) stddev;
    }

    public float stddev() {
        return stddev;
    }

    @Override
    public String className() {
        return "GaussianNoise";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return inputShape;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int n = ctx.rows() * outputSize();
        if (training && stddev > 0) {
            ctx.backend().gaussianNoise(x, y, n, stddev, ctx.seed(), ctx.layerIndex(), ctx.counters());
        } else {
            ctx.backend().copy(x.slice(0, n), y.slice(0, n));
        }
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            int n = ctx.rows() * outputSize();
            ctx.backend().copy(dy.slice(0, n), dx.slice(0, n));
        }
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("stddev", (double) stddev);
    }
}
