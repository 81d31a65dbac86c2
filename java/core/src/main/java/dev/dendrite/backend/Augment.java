package dev.dendrite.backend;

/**
 * The definition of the augmentation ops, in Java: the twin of {@code kernels/common/augment.h}, the same float
 * operations in the same order (every multiply-add an explicit {@link Math#fma}), so the CPU backend, the GPU
 * kernels and {@code ImageDataGenerator.flow} give the same bits for the same seed and step. The CPU backend runs
 * these loops; the conformance tests hold every backend to them.
 *
 * <p>Images are {@code height x width} floats, row-major, one after another. Sample {@code r} of a batch draws
 * the Philox blocks of counters {@code (2r, step, stream)} and {@code (2r + 1, step, stream)}.
 */
public final class Augment {
    private Augment() {
    }

    /**
     * Images {@code [from, to)} of {@link Backend#augmentAffine}: {@code x[xo..]} to {@code y[yo..]}. The terms that
     * depend on the column only or the row only are computed once per image ({@link AffineImage}: the same operations
     * on the same values, so the same bits as {@code dendrite_affine_pixel} computing them per pixel), and points whose
     * four neighbours are all inside the image skip the fill mode. This is the reference the CPU backend's vector loop
     * ({@code CpuAffineVector}) is held to bit for bit.
     */
    public static void affine(float[] x, int xo, float[] y, int yo, int from, int to, int height, int width,
                              AffineAugment a, long seed, int step, int stream) {
        int hw = height * width;
        AffineImage image = new AffineImage(height, width);
        for (int r = from; r < to; r++) {
            image.draw(a, seed, r, step, stream);
            int in = xo + r * hw;
            int out = yo + r * hw;
            for (int py = 0; py < height; py++) {
                affineRow(x, in, y, out + py * width, 0, width, py, image, a);
            }
        }
    }

    /**
     * Output pixels {@code [pxFrom, pxTo)} of row {@code py} of one image: {@code x[in..]} resampled through
     * {@code image}'s map into {@code y[rowOut + px]}.
     */
    public static void affineRow(float[] x, int in, float[] y, int rowOut, int pxFrom, int pxTo, int py,
                                 AffineImage image, AffineAugment a) {
        int height = image.height;
        int width = image.width;
        int fillMode = a.fillMode().code();
        boolean bilinear = a.interpolation() == Interpolation.BILINEAR;
        float fillValue = a.fillValue();
        float v = image.v[py];
        float negShiftH = image.negShiftH;
        float negSinS = image.negSinS;
        float cosR = image.cosR;
        float sinR = image.sinR;
        float cx = image.cx;
        float cy = image.cy;
        float[] us = image.u;
        float[] u2s = image.u2;
        for (int px = pxFrom; px < pxTo; px++) {
            float u2 = u2s[px];
            float v2 = Math.fma(negShiftH, (float) height, Math.fma(negSinS, us[px], v));
            float xin = Math.fma(cosR, u2, -(sinR * v2)) + cx;
            float yin = Math.fma(sinR, u2, cosR * v2) + cy;
            y[rowOut + px] = sample(x, in, height, width, xin, yin, fillMode, bilinear, fillValue);
        }
    }

    /**
     * One image's map as {@link #affine} evaluates it: the terms that depend on the column only ({@link #u},
     * {@link #u2}) or on the row only ({@link #v}) and the constants of the rest. One per thread, redrawn image after
     * image; the fields are read by the CPU backend's vector loop, which must compute what {@link #affineRow} does.
     */
    public static final class AffineImage {
        /** The image's size. */
        public final int height;
        public final int width;
        /** The centre, {@code (size - 1) / 2}. */
        public final float cx;
        public final float cy;
        /** Per column: {@code u} (flipped, zoomed, centred x) and {@code u2} (sheared and shifted x). */
        public final float[] u;
        public final float[] u2;
        /** Per row: {@code v} (flipped, zoomed, centred y). */
        public final float[] v;
        /** {@code -shift_h}, {@code -sin(shear)}, {@code cos} and {@code sin} of the rotation. */
        public float negShiftH;
        public float negSinS;
        public float cosR;
        public float sinR;
        private final int[] wa = new int[4];
        private final int[] wb = new int[4];
        private final float[] sincos = new float[2];
        private final float[] p = new float[SAMPLE_LENGTH];

        public AffineImage(int height, int width) {
            this.height = height;
            this.width = width;
            this.cx = (float) (width - 1) * 0.5f;
            this.cy = (float) (height - 1) * 0.5f;
            this.u = new float[width];
            this.u2 = new float[width];
            this.v = new float[height];
        }

        /** Draws sample {@code sample}'s map ({@code dendrite_affine_draw}) and computes its terms. */
        public void draw(AffineAugment a, long seed, int sample, int step, int stream) {
            Augment.draw(a, seed, sample, step, stream, wa, wb, sincos, p);
            for (int px = 0; px < width; px++) {
                float uu = ((float) px - cx) * p[FLIP_W] * p[ZOOM_W];
                u[px] = uu;
                u2[px] = Math.fma(-p[SHIFT_W], (float) width, p[COS_S] * uu);
            }
            for (int py = 0; py < height; py++) {
                v[py] = ((float) py - cy) * p[FLIP_H] * p[ZOOM_H];
            }
            negShiftH = -p[SHIFT_H];
            negSinS = -p[SIN_S];
            cosR = p[COS_R];
            sinR = p[SIN_R];
        }
    }

    /** The sampling half of {@code dendrite_affine_pixel}: the input read at (xin, yin). */
    private static float sample(float[] x, int off, int height, int width, float xin, float yin, int fillMode,
                                boolean bilinear, float fillValue) {
        if (!bilinear) {
            return fetch(x, off, height, width, (int) Math.floor(yin + 0.5f), (int) Math.floor(xin + 0.5f), fillMode,
                    fillValue);
        }
        float x0 = (float) Math.floor(xin);
        float y0 = (float) Math.floor(yin);
        float fx = xin - x0;
        float fy = yin - y0;
        int ix = (int) x0;
        int iy = (int) y0;
        float p00;
        float p01;
        float p10;
        float p11;
        if (ix >= 0 && iy >= 0 && ix < width - 1 && iy < height - 1) {
            int i = off + iy * width + ix;
            p00 = x[i];
            p01 = x[i + 1];
            p10 = x[i + width];
            p11 = x[i + width + 1];
        } else {
            p00 = fetch(x, off, height, width, iy, ix, fillMode, fillValue);
            p01 = fetch(x, off, height, width, iy, ix + 1, fillMode, fillValue);
            p10 = fetch(x, off, height, width, iy + 1, ix, fillMode, fillValue);
            p11 = fetch(x, off, height, width, iy + 1, ix + 1, fillMode, fillValue);
        }
        return lerp(lerp(p00, p01, fx), lerp(p10, p11, fx), fy);
    }

    // one sample's map: dendrite_affine_sample's fields
    private static final int COS_R = 0;
    private static final int SIN_R = 1;
    private static final int COS_S = 2;
    private static final int SIN_S = 3;
    private static final int ZOOM_W = 4;
    private static final int ZOOM_H = 5;
    private static final int SHIFT_W = 6;
    private static final int SHIFT_H = 7;
    private static final int FLIP_W = 8;
    private static final int FLIP_H = 9;
    private static final int SAMPLE_LENGTH = 10;

    /** {@code dendrite_augment_uniform}: lo + (hi - lo) u with one rounding. */
    static float uniform(int bits, float lo, float hi) {
        return Math.fma(hi - lo, toUniform(bits), lo);
    }

    /** {@code dendrite_philox_to_uniform}: 24 bits as a float in [0, 1). */
    static float toUniform(int bits) {
        return (bits >>> 8) * 0x1.0p-24f;
    }

    /** {@code dendrite_augment_sincos_turns}: {@code out = {sin 2 pi t, cos 2 pi t}}. */
    static void sinCosTurns(float t, float[] out) {
        float q = (float) Math.floor(Math.fma(t, 4.0f, 0.5f));
        float r = Math.fma(q, -0.25f, t);
        float x = r * 6.28318530717958647f;
        float x2 = x * x;
        float ps = Math.fma(x2, 2.75573192e-6f, -1.98412698e-4f);
        ps = Math.fma(x2, ps, 8.33333333e-3f);
        ps = Math.fma(x2, ps, -1.66666667e-1f);
        float sx = Math.fma(x * x2, ps, x);
        float pc = Math.fma(x2, 2.48015873e-5f, -1.38888889e-3f);
        pc = Math.fma(x2, pc, 4.16666667e-2f);
        pc = Math.fma(x2, pc, -0.5f);
        float cx = Math.fma(x2, pc, 1.0f);
        int k = ((int) q) & 3;
        out[0] = k == 0 ? sx : k == 1 ? cx : k == 2 ? -sx : -cx;
        out[1] = k == 0 ? cx : k == 1 ? -sx : k == 2 ? -cx : sx;
    }

    /** {@code dendrite_affine_draw} into {@code p}. */
    static void draw(AffineAugment a, long seed, int sample, int step, int stream, int[] wa, int[] wb,
                             float[] sincos, float[] p) {
        Philox.block(seed, 2 * sample, step, stream, wa);
        Philox.block(seed, 2 * sample + 1, step, stream, wb);
        sinCosTurns(uniform(wa[0], a.rotationLo(), a.rotationHi()), sincos);
        p[SIN_R] = sincos[0];
        p[COS_R] = sincos[1];
        p[SHIFT_H] = uniform(wa[1], a.shiftHeightLo(), a.shiftHeightHi());
        p[SHIFT_W] = uniform(wa[2], a.shiftWidthLo(), a.shiftWidthHi());
        p[ZOOM_H] = uniform(wa[3], a.zoomHeightLo(), a.zoomHeightHi());
        p[ZOOM_W] = a.sameZoom() ? p[ZOOM_H] : uniform(wb[0], a.zoomWidthLo(), a.zoomWidthHi());
        sinCosTurns(uniform(wb[1], a.shearLo(), a.shearHi()), sincos);
        p[SIN_S] = sincos[0];
        p[COS_S] = sincos[1];
        p[FLIP_W] = a.flipHorizontal() && toUniform(wb[2]) < 0.5f ? -1.0f : 1.0f;
        p[FLIP_H] = a.flipVertical() && toUniform(wb[3]) < 0.5f ? -1.0f : 1.0f;
    }

    /** {@code dendrite_augment_fill_index}: where index i of an axis of n reads; -1 for the constant. */
    public static int fillIndex(int i, int n, int fillMode) {
        if (i >= 0 && i < n) {
            return i;
        }
        if (fillMode == FillMode.NEAREST.code()) {
            return i < 0 ? 0 : n - 1;
        }
        if (fillMode == FillMode.REFLECT.code()) {
            int period = 2 * n;
            int m = i % period;
            m = m < 0 ? m + period : m;
            return m < n ? m : period - 1 - m;
        }
        if (fillMode == FillMode.WRAP.code()) {
            int m = i % n;
            return m < 0 ? m + n : m;
        }
        return -1;
    }

    private static float fetch(float[] x, int off, int height, int width, int iy, int ix, int fillMode,
                               float fillValue) {
        int yy = fillIndex(iy, height, fillMode);
        int xx = fillIndex(ix, width, fillMode);
        return yy < 0 || xx < 0 ? fillValue : x[off + yy * width + xx];
    }

    private static float lerp(float a, float b, float t) {
        return Math.fma(t, b - a, a);
    }

    /** Images {@code [from, to)} of {@link Backend#augmentPixels}: {@code dendrite_pixels_image}; in place allowed. */
    public static void pixels(float[] x, int xo, float[] y, int yo, int from, int to, int height, int width,
                              PixelAugment s, long seed, int step, int stream) {
        int n = height * width;
        int[] a = new int[4];
        int[] b = new int[4];
        float fw = (float) width;
        float fh = (float) height;
        float range = s.valueMax() - s.valueMin();
        float invN = 1.0f / (float) n;
        for (int r = from; r < to; r++) {
            Philox.block(seed, 2 * r, step, stream, a);
            Philox.block(seed, 2 * r + 1, step, stream, b);
            float contrast = uniform(a[0], s.contrastLo(), s.contrastHi());
            float brightness = uniform(a[1], s.brightnessLo(), s.brightnessHi());
            boolean erase = s.erase() && toUniform(a[3]) < uniform(a[2], s.eraseLo(), s.eraseHi());
            float sideW = (float) Math.sqrt(uniform(b[0], s.scaleLo(), s.scaleHi()));
            float sideH = (float) Math.sqrt(uniform(b[1], s.scaleLo(), s.scaleHi()));
            float freeW = Math.fma(-sideW, fw, fw);
            float freeH = Math.fma(-sideH, fh, fh);
            float x0 = toUniform(b[2]) * freeW;
            float x1 = Math.fma(toUniform(b[2]), freeW, sideW * fw);
            float y0 = toUniform(b[3]) * freeH;
            float y1 = Math.fma(toUniform(b[3]), freeH, sideH * fh);
            int in = xo + r * n;
            int out = yo + r * n;
            float sum = 0.0f;
            if (s.contrast()) {
                for (int i = 0; i < n; i++) {
                    sum += x[in + i];
                }
            }
            float mean = sum * invN;
            for (int i = 0; i < n; i++) {
                float value = x[in + i];
                if (s.contrast()) {
                    value = Math.fma(Math.fma(-sum, invN, value), contrast, mean);
                    value = Math.min(Math.max(value, s.valueMin()), s.valueMax());
                }
                if (s.brightness()) {
                    value = Math.fma(brightness, range, value);
                    value = Math.min(Math.max(value, s.valueMin()), s.valueMax());
                }
                if (erase) {
                    float px = (float) (i % width);
                    float py = (float) (i / width);
                    if (px >= x0 && px < x1 && py >= y0 && py < y1) {
                        value = s.eraseValue();
                    }
                }
                y[out + i] = value;
            }
        }
    }
}
