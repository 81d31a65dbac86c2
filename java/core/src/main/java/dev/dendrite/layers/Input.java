package dev.dendrite.layers;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Declares the shape of one input sample, as {@code keras.Input(shape=(28, 28))}: put it first in a
 * {@link dev.dendrite.model.Sequential} so the model can be built (and summarised) before it sees data.
 */
public final class Input extends Layer {
    private final int[] shape;

    public Input(int... shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("Input shape is empty; expected e.g. new Input(28, 28) or new Input(784)");
        }
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("Input shape " + Arrays.toString(shape)
                        + " has dimension " + d + "; expected every dimension > 0");
            }
        }
        this.shape = shape.clone();
    }

    /** The declared sample shape. */
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String className() {
        return "InputLayer";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return shape.clone();
    }

    @Override
    public boolean isPassThrough() {
        return true;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        throw new IllegalStateException("Input is a pass-through layer");
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        throw new IllegalStateException("Input is a pass-through layer");
    }

    @Override
    public List<WeightSpec> weights() {
        return List.of();
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shape", shape.clone());
        return m;
    }
}
