package dev.dendrite.backend;

/**
 * The augmentation family of a backend ({@link Backend#augmentAffine}, {@link Backend#augmentPixels}), called by
 * {@link AbstractBackend} once their checks have passed; {@link Augment} is the definition.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface AugmentOps {
    void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed, int stream,
                       Slice counters);

    void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment spec, long seed, int stream,
                       Slice counters);

    void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha, long seed,
               int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut);
}
