package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.FillMode;
import dev.dendrite.backend.Interpolation;
import dev.dendrite.backend.Slice;

/**
 * The augmentation layers that resample the image through an affine map (rotation, translation, zoom, flip): one
 * op, {@link dev.dendrite.backend.Backend#augmentAffine}, with the layer's ranges. Keras's fill_mode (default
 * reflect), interpolation (default bilinear) and fill_value (default 0) are set with the methods here.
 */
public abstract class AffineAugmentation extends ImageAugmentation {
    private AffineAugment spec;

    protected AffineAugmentation(AffineAugment spec) {
        this.spec = spec;
    }

    /** The layer's ranges. */
    public AffineAugment spec() {
        return spec;
    }

    /** Keras's {@code fill_mode}: constant, nearest, reflect (the default) or wrap. */
    public AffineAugmentation fillMode(FillMode mode) {
        spec = spec.withFill(mode, spec.interpolation(), spec.fillValue());
        return this;
    }

    /** Keras's {@code fill_mode} by name. */
    public AffineAugmentation fillMode(String mode) {
        return fillMode(FillMode.fromName(mode));
    }

    /** Keras's {@code interpolation}: nearest or bilinear (the default). */
    public AffineAugmentation interpolation(Interpolation interpolation) {
        spec = spec.withFill(spec.fillMode(), interpolation, spec.fillValue());
        return this;
    }

    public AffineAugmentation interpolation(String interpolation) {
        return interpolation(Interpolation.fromName(interpolation));
    }

    /** Keras's {@code fill_value}: what {@code fill_mode="constant"} puts outside the image (default 0). */
    public AffineAugmentation fillValue(double value) {
        spec = spec.withFill(spec.fillMode(), spec.interpolation(), (float) value);
        return this;
    }

    @Override
    protected void augment(LayerContext ctx, Slice x, Slice y) {
        ctx.backend().augmentAffine(x, y, ctx.rows(), height(), width(), spec, ctx.seed(), ctx.layerIndex(),
                ctx.counters());
    }

    /** The fill settings every affine layer's config holds, after its own keys. */
    protected Map<String, Object> withFillConfig(Map<String, Object> own) {
        Map<String, Object> c = new LinkedHashMap<>(own);
        c.put("fill_mode", spec.fillMode().kerasName());
        c.put("interpolation", spec.interpolation().kerasName());
        c.put("fill_value", (double) spec.fillValue());
        return c;
    }
}
