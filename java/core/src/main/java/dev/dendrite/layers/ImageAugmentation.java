package dev.dendrite.layers;

import java.util.Arrays;
import java.util.List;

import dev.dendrite.backend.Slice;

/**
 * The base of the augmentation layers (Keras's image preprocessing layers): active while training only, where each
 * image of the batch gets its own random transform drawn on the device from Philox(the run's seed, the device step
 * counter, the image's index, this layer's index), so a recorded training step augments anew at every replay; at
 * inference the layer passes its input through.
 *
 * <p>Inputs are one-channel images, sample shape {@code (height, width)} or {@code (height, width, 1)}. An
 * augmentation transforms the data, not a function to be differentiated: it must come before every layer with
 * weights (in practice, first), so that no gradient has to flow through it.
 */
public abstract class ImageAugmentation extends Layer {
    private int height;
    private int width;

    protected ImageAugmentation() {
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        boolean image = inputShape.length == 2 || inputShape.length == 3 && inputShape[2] == 1;
        if (!image) {
            throw new IllegalArgumentException(className() + " takes one-channel images, sample shape (height, width) "
                    + "or (height, width, 1); got " + Arrays.toString(inputShape)
                    + " (put augmentation layers before Flatten)");
        }
        height = inputShape[0];
        width = inputShape[1];
        return inputShape;
    }

    /** Image height in pixels (after {@link #build}). */
    protected int height() {
        return height;
    }

    /** Image width in pixels (after {@link #build}). */
    protected int width() {
        return width;
    }

    /** Issues the augmentation of {@code ctx.rows()} images from {@code x} to {@code y}. */
    protected abstract void augment(LayerContext ctx, Slice x, Slice y);

    @Override
    public final void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int n = ctx.rows() * outputSize();
        if (training) {
            augment(ctx, x.slice(0, n), y.slice(0, n));
        } else {
            ctx.backend().copy(x.slice(0, n), y.slice(0, n));
        }
    }

    @Override
    public final void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            throw new IllegalStateException("layer '" + name() + "' (" + className() + ") has a layer with weights "
                    + "before it; expected augmentation layers before every layer with weights (first in the model)");
        }
    }

    /** A range given as Keras does: a number f meaning [-f, f], or a pair [lower, upper]. */
    static double[] symmetric(double factor) {
        return new double[] {-Math.abs(factor), Math.abs(factor)};
    }

    static List<Object> pair(float lo, float hi) {
        return List.of((double) lo, (double) hi);
    }

    static double[] checkedRange(String what, double lo, double hi, double min, double max) {
        if (!(lo >= min && hi <= max && lo <= hi)) {
            throw new IllegalArgumentException(what + " [" + lo + ", " + hi + "]; expected lower <= upper within ["
                    + min + ", " + max + "]");
        }
        return new double[] {lo, hi};
    }
}
