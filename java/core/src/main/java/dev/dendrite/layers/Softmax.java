package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Slice;

/**
 * Keras's {@code Softmax} layer over the last axis ({@code axis=-1}, the only axis a flat row layout makes
 * cheap): each group of {@code last dimension} values is normalised on its own. On flat samples it is the
 * output activation a categorical cross-entropy fuses with, exactly as {@code Dense(10, "softmax")}.
 */
public final class Softmax extends ShapePreserving implements OutputActivation {
    public Softmax() {
        this(-1);
    }

    /** @throws IllegalArgumentException for an axis other than -1 */
    public Softmax(int axis) {
        if (axis != -1) {
            throw badArgument("Softmax", "axis", axis, "-1 (the last axis; Dendrite's layers see flat rows)");
        }
    }

    private int groupSize() {
        int[] shape = outputShape();
        return shape[shape.length - 1];
    }

    @Override
    public String className() {
        return "Softmax";
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int g = groupSize();
        ctx.backend().biasActivationForward(x, null, ctx.rows() * (outputSize() / g), g, ActivationFunction.SOFTMAX,
                0f, y);
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            int g = groupSize();
            ctx.backend().activationBackward(x, y, dy, ctx.rows() * (outputSize() / g), g,
                    ActivationFunction.SOFTMAX, 0f, dx, null);
        }
    }

    /** Softmax over whole flat rows, which a loss may fuse with; over groups of a row it is no such thing. */
    @Override
    public ActivationFunction activation() {
        return outputShape() != null && outputShape().length == 1 ? ActivationFunction.SOFTMAX
                : ActivationFunction.LINEAR;
    }

    @Override
    public Slice preActivation(LayerContext ctx, Slice x) {
        return x;
    }

    @Override
    public void backwardFromPreActivation(LayerContext ctx, Slice x, Slice dz, Slice dx) {
        if (dx != null) {
            int n = ctx.rows() * outputSize();
            ctx.backend().copy(dz.slice(0, n), dx.slice(0, n));
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("axis", -1);
        return m;
    }
}
