package dev.dendrite.backend;

/**
 * The ranges of one affine augmentation ({@link Backend#augmentAffine}): each sample draws a rotation, shifts,
 * zooms and a shear uniformly from these ranges and flips with probability 1/2 where allowed, then every output
 * pixel samples the input at its inverse-mapped point. The map, in coordinates centred on the image, is flip, zoom,
 * shear, shift, rotation (kernels/common/augment.h has the formulas).
 *
 * @param rotationLo    least rotation, in turns (Keras's factor: a fraction of 2 pi); positive is counter-clockwise
 * @param rotationHi    greatest rotation, in turns
 * @param shiftHeightLo least downward shift, as a fraction of the height
 * @param shiftHeightHi greatest downward shift
 * @param shiftWidthLo  least rightward shift, as a fraction of the width
 * @param shiftWidthHi  greatest rightward shift
 * @param zoomHeightLo  least vertical zoom factor (1: none; above 1: more of the image is seen, it looks smaller)
 * @param zoomHeightHi  greatest vertical zoom factor
 * @param zoomWidthLo   least horizontal zoom factor (ignored when {@code sameZoom})
 * @param zoomWidthHi   greatest horizontal zoom factor
 * @param shearLo       least shear angle, in turns
 * @param shearHi       greatest shear angle, in turns
 * @param flipHorizontal whether half the samples are mirrored left to right
 * @param flipVertical  whether half the samples are mirrored top to bottom
 * @param sameZoom      whether the horizontal zoom is the vertical one (Keras's RandomZoom without width_factor)
 * @param fillMode      what points outside the image read
 * @param interpolation how points between pixels are read
 * @param fillValue     the value outside the image for {@link FillMode#CONSTANT}
 */
public record AffineAugment(float rotationLo, float rotationHi, float shiftHeightLo, float shiftHeightHi,
                            float shiftWidthLo, float shiftWidthHi, float zoomHeightLo, float zoomHeightHi,
                            float zoomWidthLo, float zoomWidthHi, float shearLo, float shearHi,
                            boolean flipHorizontal, boolean flipVertical, boolean sameZoom, FillMode fillMode,
                            Interpolation interpolation, float fillValue) {
    /** No change: the start of every augmentation ({@code with...} methods add to it). */
    public static final AffineAugment IDENTITY = new AffineAugment(0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, false, false,
            false, FillMode.REFLECT, Interpolation.BILINEAR, 0);

    /** Ranges beyond these are rejected: they keep every sampled coordinate far inside int range. */
    private static final float MAX_TURNS = 4;
    private static final float MAX_SHIFT = 4;
    private static final float MAX_ZOOM = 16;

    public AffineAugment {
        range("rotation", rotationLo, rotationHi, -MAX_TURNS, MAX_TURNS);
        range("height shift", shiftHeightLo, shiftHeightHi, -MAX_SHIFT, MAX_SHIFT);
        range("width shift", shiftWidthLo, shiftWidthHi, -MAX_SHIFT, MAX_SHIFT);
        range("height zoom", zoomHeightLo, zoomHeightHi, 0x1.0p-10f, MAX_ZOOM);
        range("width zoom", zoomWidthLo, zoomWidthHi, 0x1.0p-10f, MAX_ZOOM);
        range("shear", shearLo, shearHi, -MAX_TURNS, MAX_TURNS);
        if (fillMode == null || interpolation == null) {
            throw new IllegalArgumentException("fill mode " + fillMode + ", interpolation " + interpolation
                    + "; expected both");
        }
        if (!Float.isFinite(fillValue)) {
            throw new IllegalArgumentException("fill value " + fillValue + "; expected a finite number");
        }
    }

    static void range(String what, float lo, float hi, float min, float max) {
        if (!(lo >= min && hi <= max && lo <= hi)) {
            throw new IllegalArgumentException(what + " range [" + lo + ", " + hi + "]; expected finite bounds, lower "
                    + "<= upper, within [" + min + ", " + max + "]");
        }
    }

    /** The flags word of the kernels ({@code DENDRITE_AFFINE_*}). */
    public int flags() {
        return (flipHorizontal ? 1 : 0) | (flipVertical ? 2 : 0) | (sameZoom ? 4 : 0);
    }

    public AffineAugment withRotation(float lo, float hi) {
        return new AffineAugment(lo, hi, shiftHeightLo, shiftHeightHi, shiftWidthLo, shiftWidthHi, zoomHeightLo,
                zoomHeightHi, zoomWidthLo, zoomWidthHi, shearLo, shearHi, flipHorizontal, flipVertical, sameZoom,
                fillMode, interpolation, fillValue);
    }

    public AffineAugment withShift(float heightLo, float heightHi, float widthLo, float widthHi) {
        return new AffineAugment(rotationLo, rotationHi, heightLo, heightHi, widthLo, widthHi, zoomHeightLo,
                zoomHeightHi, zoomWidthLo, zoomWidthHi, shearLo, shearHi, flipHorizontal, flipVertical, sameZoom,
                fillMode, interpolation, fillValue);
    }

    public AffineAugment withZoom(float heightLo, float heightHi, float widthLo, float widthHi, boolean same) {
        return new AffineAugment(rotationLo, rotationHi, shiftHeightLo, shiftHeightHi, shiftWidthLo, shiftWidthHi,
                heightLo, heightHi, widthLo, widthHi, shearLo, shearHi, flipHorizontal, flipVertical, same, fillMode,
                interpolation, fillValue);
    }

    public AffineAugment withShear(float lo, float hi) {
        return new AffineAugment(rotationLo, rotationHi, shiftHeightLo, shiftHeightHi, shiftWidthLo, shiftWidthHi,
                zoomHeightLo, zoomHeightHi, zoomWidthLo, zoomWidthHi, lo, hi, flipHorizontal, flipVertical, sameZoom,
                fillMode, interpolation, fillValue);
    }

    public AffineAugment withFlips(boolean horizontal, boolean vertical) {
        return new AffineAugment(rotationLo, rotationHi, shiftHeightLo, shiftHeightHi, shiftWidthLo, shiftWidthHi,
                zoomHeightLo, zoomHeightHi, zoomWidthLo, zoomWidthHi, shearLo, shearHi, horizontal, vertical,
                sameZoom, fillMode, interpolation, fillValue);
    }

    public AffineAugment withFill(FillMode mode, Interpolation interp, float value) {
        return new AffineAugment(rotationLo, rotationHi, shiftHeightLo, shiftHeightHi, shiftWidthLo, shiftWidthHi,
                zoomHeightLo, zoomHeightHi, zoomWidthLo, zoomWidthHi, shearLo, shearHi, flipHorizontal, flipVertical,
                sameZoom, mode, interp, value);
    }
}
