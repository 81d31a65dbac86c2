package dev.dendrite.backend;

/**
 * The ranges of one pixel-wise augmentation ({@link Backend#augmentPixels}), Keras's RandomContrast,
 * RandomBrightness and RandomErasing in one pass: each enabled part draws its sample's parameter uniformly from
 * its range (kernels/common/augment.h has the formulas).
 *
 * @param contrast      whether to scale each image about its mean by a factor from [contrastLo, contrastHi]
 * @param brightness    whether to add a delta from [brightnessLo, brightnessHi] times the value range
 * @param erase         whether to erase a rectangle with a probability from [eraseLo, eraseHi]
 * @param valueMin      the least value an image holds (contrast and brightness clip to [valueMin, valueMax])
 * @param valueMax      the greatest
 * @param scaleLo       the erased width and height are sqrt of fractions drawn from [scaleLo, scaleHi]
 * @param eraseValue    what the erased rectangle holds
 */
public record PixelAugment(boolean contrast, float contrastLo, float contrastHi, boolean brightness,
                           float brightnessLo, float brightnessHi, float valueMin, float valueMax, boolean erase,
                           float eraseLo, float eraseHi, float scaleLo, float scaleHi, float eraseValue) {
    public PixelAugment {
        AffineAugment.range("contrast factor", contrastLo, contrastHi, 0, 1e6f);
        AffineAugment.range("brightness", brightnessLo, brightnessHi, -1, 1);
        AffineAugment.range("value", valueMin, valueMax, -1e30f, 1e30f);
        AffineAugment.range("erase probability", eraseLo, eraseHi, 0, 1);
        AffineAugment.range("erase scale", scaleLo, scaleHi, 0, 1);
        if (!Float.isFinite(eraseValue)) {
            throw new IllegalArgumentException("erase value " + eraseValue + "; expected a finite number");
        }
    }

    /** The flags word of the kernels ({@code DENDRITE_PIXELS_*}). */
    public int flags() {
        return (contrast ? 1 : 0) | (brightness ? 2 : 0) | (erase ? 4 : 0);
    }
}
