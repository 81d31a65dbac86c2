/*
 * augment.cu - image augmentation inside the training step (the augmentation layers and ImageDataGenerator's
 * transforms), its math in ../common/augment.h, shared with opencl/augment.cl and with the Java reference
 * dev.dendrite.backend.Augment.
 *
 * Why on the device: the random parameters of each sample are drawn from Philox(seed, counters[0], sample) on the
 * device, so a recorded step (a CUDA graph) augments differently at every replay, and nothing goes to the host.
 *
 * augment_affine: a thread per output pixel (grid-stride); each recomputes its sample's map (two Philox blocks
 * and two short polynomials), cheaper than a second kernel and a scratch buffer at these image sizes.
 * augment_pixels: a thread per image, since contrast needs the image's mean (summed in index order, as the CPU).
 */
#include "common.cuh"
#include "augment.h"
#include "mixup.h"

DENDRITE_KERNEL void augment_affine(const float *x, float *y, int rows, int height, int width, float rot_lo,
                                    float rot_hi, float th_lo, float th_hi, float tw_lo, float tw_hi, float zh_lo,
                                    float zh_hi, float zw_lo, float zw_hi, float shear_lo, float shear_hi, int flags,
                                    int fill_mode, int interpolation, float fill_value, unsigned int seed_lo,
                                    unsigned int seed_hi, int stream, const int *counters) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    unsigned int hw = (unsigned int) (height * width);
    unsigned int total = (unsigned int) rows * hw;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        int r = (int) (i / hw);
        int p = (int) (i - (unsigned int) r * hw);
        dendrite_affine_sample s = dendrite_affine_draw(seed_lo, seed_hi, r, step, (unsigned int) stream, rot_lo,
                                                        rot_hi, th_lo, th_hi, tw_lo, tw_hi, zh_lo, zh_hi, zw_lo,
                                                        zw_hi, shear_lo, shear_hi, flags);
        y[i] = dendrite_affine_pixel(x + (size_t) r * hw, height, width, s, p % width, p / width, fill_mode,
                                     interpolation, fill_value);
    }
}

DENDRITE_KERNEL void augment_pixels(const float *x, float *y, int rows, int height, int width, float contrast_lo,
                                    float contrast_hi, float brightness_lo, float brightness_hi, float value_min,
                                    float value_max, float erase_lo, float erase_hi, float scale_lo, float scale_hi,
                                    float erase_value, int flags, unsigned int seed_lo, unsigned int seed_hi,
                                    int stream, const int *counters) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    size_t hw = (size_t) height * width;
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        dendrite_pixels_image(x + r * hw, y + r * hw, height, width, seed_lo, seed_hi, (int) r, step,
                              (unsigned int) stream, contrast_lo, contrast_hi, brightness_lo, brightness_hi,
                              value_min, value_max, erase_lo, erase_hi, scale_lo, scale_hi, erase_value, flags);
    }
}

/* mixup (../common/mixup.h): a thread per sample draws its lambda into lambdas, then mixup_apply a thread per output
 * value reads it; labels and targets share one pointer, read as int class indices when sparse is set. */
DENDRITE_KERNEL void mixup_lambdas(int rows, float alpha, unsigned int seed_lo, unsigned int seed_hi, int stream,
                                   const int *counters, float *lambdas) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        lambdas[r] = dendrite_mixup_lambda(seed_lo, seed_hi, r, step, (unsigned int) stream, alpha);
    }
}

DENDRITE_KERNEL void mixup_apply(const float *x, const float *y, int sparse, int rows, int x_width, int classes,
                                 unsigned int seed_lo, unsigned int seed_hi, int stream, const int *counters,
                                 const float *lambdas, float *x_out, float *y_out) {
    dendrite_pdl_begin();
    unsigned int step = (unsigned int) counters[0];
    size_t nx = (size_t) rows * x_width;
    size_t total = nx + (size_t) rows * classes;
    for (size_t i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        int in_x = i < nx;
        size_t j = in_x ? i : i - nx;
        int width = in_x ? x_width : classes;
        int r = (int) (j / (size_t) width);
        int c = (int) (j - (size_t) r * width);
        int p = dendrite_mixup_partner(seed_lo, seed_hi, r, rows, step, (unsigned int) stream);
        float lam = lambdas[r];
        if (in_x) {
            x_out[j] = dendrite_mixup_mix(lam, x[(size_t) r * x_width + c], x[(size_t) p * x_width + c]);
        } else if (sparse) {
            const int *labels = (const int *) y;
            y_out[j] = dendrite_mixup_mix(lam, labels[r] == c ? 1.0f : 0.0f, labels[p] == c ? 1.0f : 0.0f);
        } else {
            y_out[j] = dendrite_mixup_mix(lam, y[(size_t) r * classes + c], y[(size_t) p * classes + c]);
        }
    }
}
