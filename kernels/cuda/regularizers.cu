/*
 * regularizers.cu - L1/L2 weight regularisation: the gradient term added to a gradient buffer, and the penalty
 * scale * (l1 sum |w| + l2 sum w^2) added to the loss; and the weight constraints applied after an update. The twin
 * of ../opencl/regularizers.cl.
 *
 * Why: the penalty adds to stats on the device like the losses do (dendrite_finish_stats, common.cuh), so it
 * costs no host round trip per step.
 */
#include "common.cuh"
#include "../common/constraints.h"

/* grad[i] += l1 * sign(w[i]) + 2 * l2 * w[i] (sign(0) = 0, as Math.signum). */
DENDRITE_KERNEL void regularizer_gradient(const float *w, float *grad, int n, float l1, float l2) {
    dendrite_pdl_begin();
    float two_l2 = 2.0f * l2;
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        float x = w[i];
        float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); /* keeps 0 and NaN as they are */
        grad[i] += l1 * sign + two_l2 * x;
    }
}

/* stats[0] += scale * (l1 * sum |w| + l2 * sum w^2); the host passes ca = scale * l1, cb = scale * l2. */
DENDRITE_KERNEL void regularizer_penalty(const float *w, int n, float ca, float cb, float *stats, int *control) {
    dendrite_pdl_begin();
    dendrite_kahan abs_sum = dendrite_kahan_zero();
    dendrite_kahan sq_sum = dendrite_kahan_zero();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        float x = w[i];
        abs_sum = dendrite_kahan_add(abs_sum, fabsf(x));
        sq_sum = dendrite_kahan_add(sq_sum, x * x);
    }
    dendrite_finish_stats(abs_sum.sum, sq_sum.sum, ca, cb, 0.0f, stats, control);
}

/* Keras's norm constraints (../common/constraints.h) over each row (axis 1) of a weight, one thread a row. */
DENDRITE_KERNEL void norm_constraint_rows(float *w, int rows, int cols, float min_value, float max_value,
                                          float rate) {
    dendrite_pdl_begin();
    for (unsigned int r = DENDRITE_GRID_START; r < (unsigned int) rows; r += DENDRITE_GRID_STRIDE) {
        dendrite_norm_constraint_row(w, (int) r, cols, min_value, max_value, rate);
    }
}

/* The norm constraints over columns (axis 0), in blocks of 256 threads (../common/constraints.h says how). */
DENDRITE_KERNEL void norm_constraint_columns(float *w, int rows, int cols, float min_value, float max_value,
                                             float rate) {
    DENDRITE_LOCAL float part[DENDRITE_NORM_COLUMNS * DENDRITE_NORM_LANES];
    DENDRITE_LOCAL float factor[DENDRITE_NORM_COLUMNS];
    dendrite_pdl_begin();
    dendrite_norm_constraint_columns(w, rows, cols, min_value, max_value, rate, part, factor);
}

/* Keras's NonNeg: w[i] = max(w[i], 0). */
DENDRITE_KERNEL void non_neg_constraint(float *w, int n) {
    dendrite_pdl_begin();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        w[i] = dendrite_non_neg(w[i]);
    }
}
