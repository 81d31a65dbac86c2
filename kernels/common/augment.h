/*
 * augment.h - image augmentation: the per-sample random draws and the per-pixel math of the augmentation layers
 * (RandomRotation, RandomTranslation, RandomZoom, RandomFlip, shear; RandomContrast, RandomBrightness,
 * RandomErasing), one source for CUDA and OpenCL. dev.dendrite.backend.Augment is the Java twin: the same float
 * operations in the same order, so every backend gives the same bits for the same seed and step.
 *
 * Why every multiply-add is an explicit dendrite_fmaf: nvcc contracts a * b + c into an FMA on its own (and an
 * OpenCL compiler may), Java never does. Written out, no expression below leaves a product feeding an addition
 * for a compiler to fuse, so all three compute one rounding sequence. The sines and cosines are a polynomial of
 * fused multiply-adds for the same reason: sinf/cosf differ between libraries in the last bit.
 *
 * Randomness: sample r of a batch draws the two Philox blocks of counters (2r, step, stream) and (2r + 1, step,
 * stream) (philox.h), step being counters[0] read on the device, so a recorded step draws anew every replay.
 *   affine:  block 2r: rotation, height shift, width shift, height zoom; block 2r+1: width zoom, shear,
 *            horizontal flip, vertical flip.
 *   pixels:  block 2r: contrast, brightness, erase probability, erase threshold; block 2r+1: erased width and
 *            height fractions (before the square root), their starts.
 *
 * The affine map takes an output pixel (x, y) to the input point it samples, in coordinates centred on the image
 * ((width - 1) / 2, (height - 1) / 2): flip, zoom, shear, shift, rotate, in that order (Keras's conventions:
 * a positive angle turns the content counter-clockwise, a positive shift moves it right/down, a zoom factor above 1
 * shows more of the image, i.e. zooms out). Angles are in turns (Keras's factor is a fraction of 2 pi).
 */
#ifndef DENDRITE_AUGMENT_H
#define DENDRITE_AUGMENT_H

#include "dialect.h"
#include "philox.h"

/* Fill modes (Keras's fill_mode), as in dev.dendrite.backend.FillMode. */
#define DENDRITE_FILL_CONSTANT 0 /* (k k k k | a b c d | k k k k) */
#define DENDRITE_FILL_NEAREST 1  /* (a a a a | a b c d | d d d d) */
#define DENDRITE_FILL_REFLECT 2  /* (d c b a | a b c d | d c b a) */
#define DENDRITE_FILL_WRAP 3     /* (a b c d | a b c d | a b c d) */
/* Interpolation, as in dev.dendrite.backend.Interpolation. */
#define DENDRITE_INTERPOLATION_NEAREST 0
#define DENDRITE_INTERPOLATION_BILINEAR 1
/* Flags of the affine op. */
#define DENDRITE_AFFINE_FLIP_HORIZONTAL 1
#define DENDRITE_AFFINE_FLIP_VERTICAL 2
#define DENDRITE_AFFINE_SAME_ZOOM 4 /* the width zoom is the height zoom (Keras's RandomZoom without width_factor) */
/* Flags of the pixel op. */
#define DENDRITE_PIXELS_CONTRAST 1
#define DENDRITE_PIXELS_BRIGHTNESS 2
#define DENDRITE_PIXELS_ERASE 4

/* A uniform float in [lo, hi] from 32 random bits (lo when lo == hi). */
DENDRITE_DEVICE float dendrite_augment_uniform(dendrite_u32 bits, float lo, float hi) {
    return dendrite_fmaf(hi - lo, dendrite_philox_to_uniform(bits), lo);
}

/*
 * sin and cos of 2 pi t (t in turns): t = q / 4 + r with |r| <= 1/8, Taylor polynomials of degree 9 and 8 on
 * |2 pi r| <= pi / 4 (truncation below 3e-8), then the quadrant q. Exact at whole quarter turns.
 */
DENDRITE_DEVICE void dendrite_augment_sincos_turns(float t, float *s, float *c) {
    float q = dendrite_floorf(dendrite_fmaf(t, 4.0f, 0.5f));
    float r = dendrite_fmaf(q, -0.25f, t);
    float x = r * 6.28318530717958647f;
    float x2 = x * x;
    float ps = dendrite_fmaf(x2, 2.75573192e-6f, -1.98412698e-4f);
    ps = dendrite_fmaf(x2, ps, 8.33333333e-3f);
    ps = dendrite_fmaf(x2, ps, -1.66666667e-1f);
    float sx = dendrite_fmaf(x * x2, ps, x);
    float pc = dendrite_fmaf(x2, 2.48015873e-5f, -1.38888889e-3f);
    pc = dendrite_fmaf(x2, pc, 4.16666667e-2f);
    pc = dendrite_fmaf(x2, pc, -0.5f);
    float cx = dendrite_fmaf(x2, pc, 1.0f);
    int k = ((int) q) & 3;
    *s = k == 0 ? sx : k == 1 ? cx : k == 2 ? -sx : -cx;
    *c = k == 0 ? cx : k == 1 ? -sx : k == 2 ? -cx : sx;
}

/* One sample's affine map, drawn once per sample; the shifts are fractions of the width and height. */
typedef struct {
    float cos_r, sin_r, cos_s, sin_s, zoom_w, zoom_h, shift_w, shift_h, flip_w, flip_h;
} dendrite_affine_sample;

DENDRITE_DEVICE dendrite_affine_sample dendrite_affine_draw(
        dendrite_u32 key0, dendrite_u32 key1, int sample, dendrite_u32 step, dendrite_u32 stream, float rot_lo,
        float rot_hi, float th_lo, float th_hi, float tw_lo, float tw_hi, float zh_lo,
        float zh_hi, float zw_lo, float zw_hi, float shear_lo, float shear_hi, int flags) {
    dendrite_philox4 a = dendrite_philox_block(key0, key1, 2u * (dendrite_u32) sample, step, stream);
    dendrite_philox4 b = dendrite_philox_block(key0, key1, 2u * (dendrite_u32) sample + 1u, step, stream);
    dendrite_affine_sample p;
    dendrite_augment_sincos_turns(dendrite_augment_uniform(a.w0, rot_lo, rot_hi), &p.sin_r, &p.cos_r);
    p.shift_h = dendrite_augment_uniform(a.w1, th_lo, th_hi);
    p.shift_w = dendrite_augment_uniform(a.w2, tw_lo, tw_hi);
    p.zoom_h = dendrite_augment_uniform(a.w3, zh_lo, zh_hi);
    p.zoom_w = (flags & DENDRITE_AFFINE_SAME_ZOOM) ? p.zoom_h : dendrite_augment_uniform(b.w0, zw_lo, zw_hi);
    dendrite_augment_sincos_turns(dendrite_augment_uniform(b.w1, shear_lo, shear_hi), &p.sin_s, &p.cos_s);
    p.flip_w = (flags & DENDRITE_AFFINE_FLIP_HORIZONTAL) && dendrite_philox_to_uniform(b.w2) < 0.5f ? -1.0f : 1.0f;
    p.flip_h = (flags & DENDRITE_AFFINE_FLIP_VERTICAL) && dendrite_philox_to_uniform(b.w3) < 0.5f ? -1.0f : 1.0f;
    return p;
}

/* Where index i of an axis of n pixels reads under fill_mode; -1 for the constant. */
DENDRITE_DEVICE int dendrite_augment_fill_index(int i, int n, int fill_mode) {
    if (i >= 0 && i < n) {
        return i;
    }
    if (fill_mode == DENDRITE_FILL_NEAREST) {
        return i < 0 ? 0 : n - 1;
    }
    if (fill_mode == DENDRITE_FILL_REFLECT) {
        int period = 2 * n;
        int m = i % period;
        m = m < 0 ? m + period : m;
        return m < n ? m : period - 1 - m;
    }
    if (fill_mode == DENDRITE_FILL_WRAP) {
        int m = i % n;
        return m < 0 ? m + n : m;
    }
    return -1;
}

DENDRITE_DEVICE float dendrite_augment_fetch(const DENDRITE_GLOBAL float *image, int height, int width, int iy,
                                             int ix, int fill_mode, float fill_value) {
    int y = dendrite_augment_fill_index(iy, height, fill_mode);
    int x = dendrite_augment_fill_index(ix, width, fill_mode);
    return y < 0 || x < 0 ? fill_value : image[y * width + x];
}

/* a + t (b - a), one rounding for the product and sum. */
DENDRITE_DEVICE float dendrite_augment_lerp(float a, float b, float t) {
    return dendrite_fmaf(t, b - a, a);
}

/*
 * Output pixel (px, py) of one image under its map p. Coordinates are bounded (the host checks the ranges), so
 * the float-to-int conversions are defined.
 */
DENDRITE_DEVICE float dendrite_affine_pixel(const DENDRITE_GLOBAL float *image, int height, int width,
                                            dendrite_affine_sample p, int px, int py, int fill_mode,
                                            int interpolation, float fill_value) {
    float cx = (float) (width - 1) * 0.5f;
    float cy = (float) (height - 1) * 0.5f;
    float u = ((float) px - cx) * p.flip_w * p.zoom_w;
    float v = ((float) py - cy) * p.flip_h * p.zoom_h;
    /* shear (the legacy ImageDataGenerator's matrix) and shift */
    float u2 = dendrite_fmaf(-p.shift_w, (float) width, p.cos_s * u);
    float v2 = dendrite_fmaf(-p.shift_h, (float) height, dendrite_fmaf(-p.sin_s, u, v));
    /* rotation */
    float xin = dendrite_fmaf(p.cos_r, u2, -(p.sin_r * v2)) + cx;
    float yin = dendrite_fmaf(p.sin_r, u2, p.cos_r * v2) + cy;
    if (interpolation == DENDRITE_INTERPOLATION_NEAREST) {
        return dendrite_augment_fetch(image, height, width, (int) dendrite_floorf(yin + 0.5f),
                                      (int) dendrite_floorf(xin + 0.5f), fill_mode, fill_value);
    }
    float x0 = dendrite_floorf(xin);
    float y0 = dendrite_floorf(yin);
    float fx = xin - x0;
    float fy = yin - y0;
    int ix = (int) x0;
    int iy = (int) y0;
    float top = dendrite_augment_lerp(dendrite_augment_fetch(image, height, width, iy, ix, fill_mode, fill_value),
                                      dendrite_augment_fetch(image, height, width, iy, ix + 1, fill_mode, fill_value),
                                      fx);
    float bottom = dendrite_augment_lerp(
            dendrite_augment_fetch(image, height, width, iy + 1, ix, fill_mode, fill_value),
            dendrite_augment_fetch(image, height, width, iy + 1, ix + 1, fill_mode, fill_value), fx);
    return dendrite_augment_lerp(top, bottom, fy);
}

/*
 * The pixel op on one image of n = height * width values, in place allowed: contrast ((x - mean) c + mean, then
 * clipped to [value_min, value_max]), brightness (x + b (value_max - value_min), clipped), erasing (a rectangle set
 * to erase_value with probability drawn from [erase_lo, erase_hi]; its sides are sqrt(fraction) of the image's,
 * the fractions drawn from [scale_lo, scale_hi], as Keras's RandomErasing). The mean is summed in index order.
 */
DENDRITE_DEVICE void dendrite_pixels_image(const DENDRITE_GLOBAL float *x, DENDRITE_GLOBAL float *y, int height,
                                           int width, dendrite_u32 key0, dendrite_u32 key1, int sample,
                                           dendrite_u32 step, dendrite_u32 stream, float contrast_lo,
                                           float contrast_hi, float brightness_lo, float brightness_hi,
                                           float value_min, float value_max, float erase_lo, float erase_hi,
                                           float scale_lo, float scale_hi, float erase_value, int flags) {
    dendrite_philox4 a = dendrite_philox_block(key0, key1, 2u * (dendrite_u32) sample, step, stream);
    dendrite_philox4 b = dendrite_philox_block(key0, key1, 2u * (dendrite_u32) sample + 1u, step, stream);
    int n = height * width;
    float contrast = dendrite_augment_uniform(a.w0, contrast_lo, contrast_hi);
    float brightness = dendrite_augment_uniform(a.w1, brightness_lo, brightness_hi);
    float range = value_max - value_min;
    int erase = (flags & DENDRITE_PIXELS_ERASE)
            && dendrite_philox_to_uniform(a.w3) < dendrite_augment_uniform(a.w2, erase_lo, erase_hi);
    float fw = (float) width;
    float fh = (float) height;
    float side_w = dendrite_sqrtf(dendrite_augment_uniform(b.w0, scale_lo, scale_hi));
    float side_h = dendrite_sqrtf(dendrite_augment_uniform(b.w1, scale_lo, scale_hi));
    float free_w = dendrite_fmaf(-side_w, fw, fw);
    float free_h = dendrite_fmaf(-side_h, fh, fh);
    float x0 = dendrite_philox_to_uniform(b.w2) * free_w;
    float x1 = dendrite_fmaf(dendrite_philox_to_uniform(b.w2), free_w, side_w * fw);
    float y0 = dendrite_philox_to_uniform(b.w3) * free_h;
    float y1 = dendrite_fmaf(dendrite_philox_to_uniform(b.w3), free_h, side_h * fh);
    float sum = 0.0f;
    if (flags & DENDRITE_PIXELS_CONTRAST) {
        for (int i = 0; i < n; i++) {
            sum += x[i];
        }
    }
    float inv_n = 1.0f / (float) n;
    float mean = sum * inv_n;
    for (int i = 0; i < n; i++) {
        float value = x[i];
        if (flags & DENDRITE_PIXELS_CONTRAST) {
            value = dendrite_fmaf(dendrite_fmaf(-sum, inv_n, value), contrast, mean);
            value = dendrite_fminf(dendrite_fmaxf(value, value_min), value_max);
        }
        if (flags & DENDRITE_PIXELS_BRIGHTNESS) {
            value = dendrite_fmaf(brightness, range, value);
            value = dendrite_fminf(dendrite_fmaxf(value, value_min), value_max);
        }
        if (erase) {
            float px = (float) (i % width);
            float py = (float) (i / width);
            if (px >= x0 && px < x1 && py >= y0 && py < y1) {
                value = erase_value;
            }
        }
        y[i] = value;
    }
}

#endif /* DENDRITE_AUGMENT_H */
