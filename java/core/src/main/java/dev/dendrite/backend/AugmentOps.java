package dev.dendrite.backend;

/**
 * The image-augmentation family of the op set; {@link Augment} and {@link Mixup} are the definitions.
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface AugmentOps {
    /**
     * Overwrites {@code y} with the {@code rows} images of {@code x} ({@code height x width} each), each resampled
     * through its own random affine map drawn from {@code spec}'s ranges with Philox counters
     * {@code (2r, counters[COUNTER_STEP], stream)} and {@code (2r + 1, ...)} for image {@code r}: the definition is
     * {@link Augment#affine}. {@code y} must not overlap {@code x}.
     */
    void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed, int stream,
                       Slice counters);

    /**
     * Overwrites {@code y} with the images of {@code x} after {@code spec}'s contrast, brightness and erasing, with
     * the same per-image counters as {@link #augmentAffine}: the definition is {@link Augment#pixels}. {@code y}
     * may alias {@code x}.
     */
    void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment spec, long seed, int stream,
                       Slice counters);

    /**
     * Mixup of one batch (Zhang et al. 2018): writes each sample's {@code lam ~ Beta(alpha, alpha)} to
     * {@code lambdas} ({@code rows} values), {@code xOut[r] = lam x[r] + (1 - lam) x[p(r)]} ({@code xWidth} wide)
     * and {@code yOut[r] = lam y[r] + (1 - lam) y[p(r)]} ({@code classes} wide), with {@code y} I32 class indices
     * made one-hot when {@code sparseLabels}, else F32 targets {@code classes} wide, and {@code p} a permutation of
     * the batch. The draws come from Philox counters {@code (r, counters[COUNTER_STEP], stream + k)}: the
     * definition is {@link Mixup#apply}. The outputs overlap no input. A class index outside
     * {@code [0, classes)} gives that sample a zero row.
     */
    void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha, long seed,
               int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut);
}
