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

DENDRITE_KERNEL void augment_affine(const float *x, float *y, int rows, int height, int width, float rot_lo,
                                    float rot_hi, float th_lo, float th_hi, float tw_lo, float tw_hi, float zh_lo,
                                    float zh_hi, float zw_lo, float zw_hi, float shear_lo, float shear_hi, int flags,
                                    int fill_mode, int interpolation, float fill_value, unsigned int seed_lo,
                                    unsigned int seed_hi, int stream, const int *counters) {
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
    unsigned int step = (unsigned int) counters[0];
    size_t hw = (size_t) height * width;
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        dendrite_pixels_image(x + r * hw, y + r * hw, height, width, seed_lo, seed_hi, (int) r, step,
                              (unsigned int) stream, contrast_lo, contrast_hi, brightness_lo, brightness_hi,
                              value_min, value_max, erase_lo, erase_hi, scale_lo, scale_hi, erase_value, flags);
    }
}
