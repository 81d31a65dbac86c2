package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Keras's {@code Rescaling(scale, offset=0.0)} preprocessing layer: {@code x * scale + offset}, e.g.
 * {@code new Rescaling(1.0 / 255)} to feed raw pixels to a model trained on [0, 1]. Put in the model, the
 * scaling is saved with it, so {@code dendrite evaluate} and {@code predict} give the model raw pixels.
 * {@code scale} and {@code offset} are scalars (Keras also takes per-channel lists, which images of one channel
 * do not need).
 */
public final class Rescaling extends ShapePreserving {
    private final double scale;
    private final double offset;

    public Rescaling(double scale) {
        this(scale, 0.0);
    }

    /** @throws IllegalArgumentException if either is not finite */
    public Rescaling(double scale, double offset) {
        finite("Rescaling", "scale", scale);
        finite("Rescaling", "offset", offset);
        this.scale = scale;
        this.offset = offset;
    }

    public float scale() {
        return (float) scale;
    }

    public float offset() {
        return (float) offset;
    }

    @Override
    public String className() {
        return "Rescaling";
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        ctx.backend().featureAffine(x, ctx.rows(), outputSize(), null, null, 1, scale(), offset(), y);
    }

    /** The gradient of {@code x * scale + offset} is {@code dy * scale}: the same op without the offset. */
    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            ctx.backend().featureAffine(dy, ctx.rows(), outputSize(), null, null, 1, scale(), 0f, dx);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scale", scale);
        m.put("offset", offset);
        return m;
    }
}
