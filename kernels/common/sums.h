/*
 * sums.h - compensated (Kahan) summation in float.
 *
 * GPUs may lack double precision, and the reference CPU backend sums in double; carrying the rounding
 * error of each addition keeps a float sum of many terms within a few ulps of the exact one instead of
 * growing with the number of terms. dendrite_dot2 does the same for a sum of two products. (Kernels must not be built with -cl-fast-relaxed-math or
 * --use_fast_math reassociation, which would cancel the compensation away.)
 */
#ifndef DENDRITE_SUMS_H
#define DENDRITE_SUMS_H

#include "dialect.h"

typedef struct {
    float sum;
    float carry; /* the low-order part lost by the previous additions, negated */
} dendrite_kahan;

DENDRITE_DEVICE dendrite_kahan dendrite_kahan_zero(void) {
    dendrite_kahan k;
    k.sum = 0.0f;
    k.carry = 0.0f;
    return k;
}

DENDRITE_DEVICE dendrite_kahan dendrite_kahan_add(dendrite_kahan k, float x) {
    float y = x - k.carry;
    float t = k.sum + y;
    k.carry = (t - k.sum) - y;
    k.sum = t;
    return k;
}

/*
 * a * b + c * d to within about two ulps of the exact result, even when the two products nearly cancel
 * (Kahan's algorithm: the rounding error of c * d is recovered exactly by a fused multiply-add and added back
 * after the other product has been fused in). Update rules such as v = momentum v - lr g cancel whenever the
 * gradient turns; the plain float expression would then be off by an ulp of the products, not of the result.
 */
DENDRITE_DEVICE float dendrite_dot2(float a, float b, float c, float d) {
    float cd = c * d;
    float cd_error = dendrite_fmaf(c, d, -cd);
    return dendrite_fmaf(a, b, cd) + cd_error;
}

#ifndef DENDRITE_HOST
/*
 * Adds the local arrays a[0..size) and b[0..size) into a[0] and b[0] by a tree over the work-group (size a power
 * of two, lid this work-item's index); every work-item of the group calls it, and all see a[0] and b[0] after.
 */
DENDRITE_DEVICE void dendrite_local_sum2(DENDRITE_LOCAL_PTR float *a, DENDRITE_LOCAL_PTR float *b, int lid,
                                         int size) {
    for (int s = size >> 1; s > 0; s >>= 1) {
        dendrite_barrier();
        if (lid < s) {
            a[lid] += a[lid + s];
            b[lid] += b[lid + s];
        }
    }
    dendrite_barrier();
}
#endif

#endif /* DENDRITE_SUMS_H */
