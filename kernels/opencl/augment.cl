/*
 * augment.cl - image augmentation (the augmentation layers and ImageDataGenerator's transforms), the twin of
 * ../cuda/augment.cu, its math in ../common/augment.h (bit for bit the Java reference dev.dendrite.backend.Augment).
 * The random parameters of each sample come from Philox(seed, counters[co], sample), read on the device, so a
 * recorded step draws anew at every replay. augment_affine: a work-item per output pixel; augment_pixels: a
 * work-item per image (contrast needs its mean). Contraction is off: augment.h writes every fused multiply-add out.
 */
#pragma OPENCL FP_CONTRACT OFF
#include "../common/augment.h"

__kernel void augment_affine(__global const float *x, int xo, __global float *y, int yo, int rows, int height,
                             int width, float rot_lo, float rot_hi, float th_lo, float th_hi, float tw_lo,
                             float tw_hi, float zh_lo, float zh_hi, float zw_lo, float zw_hi, float shear_lo,
                             float shear_hi, int flags, int fill_mode, int interpolation, float fill_value,
                             uint seed_lo, uint seed_hi, int stream, __global const int *counters, int co) {
    int hw = height * width;
    int i = get_global_id(0);
    if (i >= rows * hw) {
        return;
    }
    int r = i / hw;
    int p = i - r * hw;
    uint step = (uint) counters[co];
    dendrite_affine_sample s = dendrite_affine_draw(seed_lo, seed_hi, r, step, (uint) stream, rot_lo, rot_hi, th_lo,
                                                    th_hi, tw_lo, tw_hi, zh_lo, zh_hi, zw_lo, zw_hi, shear_lo,
                                                    shear_hi, flags);
    y[yo + i] = dendrite_affine_pixel(x + xo + r * hw, height, width, s, p % width, p / width, fill_mode,
                                      interpolation, fill_value);
}

__kernel void augment_pixels(__global const float *x, int xo, __global float *y, int yo, int rows, int height,
                             int width, float contrast_lo, float contrast_hi, float brightness_lo,
                             float brightness_hi, float value_min, float value_max, float erase_lo, float erase_hi,
                             float scale_lo, float scale_hi, float erase_value, int flags, uint seed_lo,
                             uint seed_hi, int stream, __global const int *counters, int co) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    int hw = height * width;
    dendrite_pixels_image(x + xo + r * hw, y + yo + r * hw, height, width, seed_lo, seed_hi, r, (uint) counters[co],
                          (uint) stream, contrast_lo, contrast_hi, brightness_lo, brightness_hi, value_min,
                          value_max, erase_lo, erase_hi, scale_lo, scale_hi, erase_value, flags);
}
