/*
 * augment.cl - image augmentation (the augmentation layers and ImageDataGenerator's transforms), the twin of
 * ../cuda/augment.cu, its math in ../common/augment.h (bit for bit the Java reference dev.dendrite.backend.Augment).
 * The random parameters of each sample come from Philox(seed, counters[co], sample), read on the device, so a
 * recorded step draws anew at every replay. augment_affine: a work-item per output pixel; augment_pixels: a
 * work-item per image (contrast needs its mean). Contraction is off: augment.h writes every fused multiply-add out.
 */
#pragma OPENCL FP_CONTRACT OFF
#include "../common/augment.h"
#include "../common/mixup.h"

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

/* mixup (../common/mixup.h): mixup_lambdas a work-item per sample, mixup_apply a work-item per output value; y is
 * read as int class indices (yi) when sparse is set, else as float targets (yf): the same buffer bound twice. */
__kernel void mixup_lambdas(int rows, float alpha, uint seed_lo, uint seed_hi, int stream,
                            __global const int *counters, int co, __global float *lambdas, int lo) {
    int r = get_global_id(0);
    if (r >= rows) {
        return;
    }
    lambdas[lo + r] = dendrite_mixup_lambda(seed_lo, seed_hi, (uint) r, (uint) counters[co], (uint) stream, alpha);
}

__kernel void mixup_apply(__global const float *x, int xo, __global const float *yf, __global const int *yi, int yo,
                          int sparse, int rows, int x_width, int classes, uint seed_lo, uint seed_hi, int stream,
                          __global const int *counters, int co, __global const float *lambdas, int lo,
                          __global float *x_out, int xoo, __global float *y_out, int yoo) {
    int i = get_global_id(0);
    int nx = rows * x_width;
    if (i >= nx + rows * classes) {
        return;
    }
    int in_x = i < nx;
    int j = in_x ? i : i - nx;
    int width = in_x ? x_width : classes;
    int r = j / width;
    int c = j - r * width;
    int p = dendrite_mixup_partner(seed_lo, seed_hi, r, rows, (uint) counters[co], (uint) stream);
    float lam = lambdas[lo + r];
    if (in_x) {
        x_out[xoo + j] = dendrite_mixup_mix(lam, x[xo + r * x_width + c], x[xo + p * x_width + c]);
    } else if (sparse) {
        y_out[yoo + j] = dendrite_mixup_mix(lam, yi[yo + r] == c ? 1.0f : 0.0f, yi[yo + p] == c ? 1.0f : 0.0f);
    } else {
        y_out[yoo + j] = dendrite_mixup_mix(lam, yf[yo + r * classes + c], yf[yo + p * classes + c]);
    }
}
