package dev.dendrite.layers;

import dev.dendrite.backend.PixelAugment;
import dev.dendrite.backend.Slice;

/**
 * The augmentation layers that change pixel values in place of moving them (contrast, brightness, erasing): one op,
 * {@link dev.dendrite.backend.Backend#augmentPixels}, with the layer's ranges.
 */
public abstract class PixelAugmentation extends ImageAugmentation {
    private final PixelAugment spec;

    protected PixelAugmentation(PixelAugment spec) {
        this.spec = spec;
    }

    /** The layer's ranges. */
    public PixelAugment spec() {
        return spec;
    }

    @Override
    protected void augment(LayerContext ctx, Slice x, Slice y) {
        ctx.backend().augmentPixels(x, y, ctx.rows(), height(), width(), spec, ctx.seed(), ctx.layerIndex(),
                ctx.counters());
    }

    static double[] valueRange(double lo, double hi) {
        if (!(lo < hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("value_range [" + lo + ", " + hi + "]; expected finite bounds, lower "
                    + "< upper, such as [0, 255] for raw pixels or [0, 1] for scaled ones");
        }
        return new double[] {lo, hi};
    }
}
