package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * What the layers that perturb their input while training share ({@link Dropout}, {@link GaussianNoise},
 * {@link GaussianDropout}, {@link AlphaDropout}): the output has the input's shape; at inference, or when their
 * amount (a rate, a standard deviation) is 0, both passes copy; otherwise the subclass's op runs, drawing its
 * randomness from (seed, step, position, layer) so that the backward pass regenerates it rather than storing it.
 */
public abstract class NoiseLayer extends Layer {
    private final String key;
    private final float amount;

    /** {@code key}: the config's name of the amount ({@code rate}, {@code stddev}), already validated. */
    NoiseLayer(String key, double amount) {
        this.key = key;
        this.amount = (float) amount;
    }

    /** The rate or standard deviation the layer was made with. */
    protected final float amount() {
        return amount;
    }

    /** Issues the training forward pass over the first {@code n} values ({@code amount() > 0}). */
    protected abstract void forwardNoise(LayerContext ctx, Slice x, Slice y, int n);

    /** Issues the backward pass over the first {@code n} values ({@code amount() > 0}, dx non-null). */
    protected abstract void backwardNoise(LayerContext ctx, Slice dy, Slice dx, int n);

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return inputShape;
    }

    @Override
    public final void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int n = ctx.rows() * outputSize();
        if (training && amount > 0) {
            forwardNoise(ctx, x, y, n);
        } else {
            ctx.backend().copy(x.slice(0, n), y.slice(0, n));
        }
    }

    @Override
    public final void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx == null) {
            return;
        }
        int n = ctx.rows() * outputSize();
        if (amount > 0) {
            backwardNoise(ctx, dy, dx, n);
        } else {
            ctx.backend().copy(dy.slice(0, n), dx.slice(0, n));
        }
    }

    @Override
    public Map<String, Object> config() {
        return Map.of(key, (double) amount);
    }
}
