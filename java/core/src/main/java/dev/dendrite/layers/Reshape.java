package dev.dendrite.layers;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Keras's {@code Reshape(target_shape)}: gives each sample a new shape with the same number of values; one
 * dimension may be -1, worked out from the others. Samples are flat rows, so it costs nothing: its output is
 * its input.
 */
public final class Reshape extends Layer {
    private final int[] targetShape;

    /** @throws IllegalArgumentException for an empty shape, a dimension below -1 or 0, or two -1s */
    public Reshape(int... targetShape) {
        if (targetShape == null || targetShape.length == 0) {
            throw new IllegalArgumentException("Reshape target_shape " + Arrays.toString(targetShape)
                    + "; expected at least one dimension, e.g. new Reshape(28, 28)");
        }
        int unknown = 0;
        for (int d : targetShape) {
            if (d == -1) {
                unknown++;
            } else if (d <= 0) {
                throw new IllegalArgumentException("Reshape target_shape " + Arrays.toString(targetShape)
                        + " has dimension " + d + "; expected dimensions > 0 and at most one -1");
            }
        }
        if (unknown > 1) {
            throw new IllegalArgumentException("Reshape target_shape " + Arrays.toString(targetShape)
                    + " has " + unknown + " dimensions of -1; expected at most one");
        }
        this.targetShape = targetShape.clone();
    }

    public int[] targetShape() {
        return targetShape.clone();
    }

    @Override
    public String className() {
        return "Reshape";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        int size = product(inputShape);
        int known = 1;
        int unknownAt = -1;
        for (int i = 0; i < targetShape.length; i++) {
            if (targetShape[i] == -1) {
                unknownAt = i;
            } else {
                known = Math.multiplyExact(known, targetShape[i]);
            }
        }
        int[] out = targetShape.clone();
        if (unknownAt >= 0 && size % known == 0) {
            out[unknownAt] = size / known;
            known = size;
        }
        if (known != size) {
            throw new IllegalArgumentException("Reshape '" + name() + "' cannot make samples of shape "
                    + formatShape(inputShape) + " (" + size + " values) into " + Arrays.toString(targetShape)
                    + "; expected a target shape holding " + size + " values");
        }
        return out;
    }

    @Override
    public boolean isPassThrough() {
        return true;
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        throw new IllegalStateException("Reshape is a pass-through layer");
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        throw new IllegalStateException("Reshape is a pass-through layer");
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target_shape", targetShape.clone());
        return m;
    }
}
