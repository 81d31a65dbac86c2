package dev.dendrite.layers;

import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Flattens each sample to one dimension ({@code 28 x 28 -> 784}). Samples are already stored as flat rows,
 * so this layer costs nothing: its output is its input.
 */
public final class Flatten extends Layer {

    @Override
    public String className() {
        return "Flatten";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return new int[] {product(inputShape)};
    }

    @Override
    public boolean isPassThrough() {
        return true;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        throw new IllegalStateException("Flatten is a pass-through layer");
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        throw new IllegalStateException("Flatten is a pass-through layer");
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
