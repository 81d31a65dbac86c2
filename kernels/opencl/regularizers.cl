/*
 * regularizers.cl - L1/L2 weight regularisation: the gradient term added to a gradient buffer, and the
 * per-work-group partial sums (sum |w|, sum w^2) of the penalty, which reductions.cl's accumulate_stats
 * turns into scale * (l1 sum |w| + l2 sum w^2) added to the loss; and the weight constraints applied after an
 * update (../common/constraints.h).
 */
#include "../common/constraints.h"
#include "../common/sums.h"

/* grad[i] += l1 * sign(w[i]) + 2 * l2 * w[i]. */
__kernel void regularizer_gradient(__global const float *w, int wo, __global float *grad, int go, int n, float l1,
                                   float l2) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    float x = w[wo + i];
    grad[go + i] += l1 * sign(x) + 2.0f * l2 * x;
}

/*
 * Work-group g adds up |w| and w^2 over i = g * size + lid + j * (groups * size), then writes
 * partial[g] = sum |w| and partial[groups + g] = sum w^2. The grid is fixed by n alone, so the result is
 * deterministic.
 */
__kernel void abs_square_partials(__global const float *w, int wo, int n, __global float *partial, int po,
                                  __local float *la, __local float *lb) {
    int lid = get_local_id(0);
    int size = get_local_size(0);
    int groups = get_num_groups(0);
    int g = get_group_id(0);
    dendrite_kahan abs_sum = dendrite_kahan_zero();
    dendrite_kahan sq_sum = dendrite_kahan_zero();
    for (long i = (long) g * size + lid; i < n; i += (long) groups * size) {
        float x = w[wo + (int) i];
        abs_sum = dendrite_kahan_add(abs_sum, fabs(x));
        sq_sum = dendrite_kahan_add(sq_sum, x * x);
    }
    la[lid] = abs_sum.sum;
    lb[lid] = sq_sum.sum;
    dendrite_local_sum2(la, lb, lid, size);
    if (lid == 0) {
        partial[po + g] = la[0];
        partial[po + groups + g] = lb[0];
    }
}

/* Keras's norm constraints over each row (axis 1) of a weight, one work-item a row (regularizers.cu's twin). */
__kernel void norm_constraint_rows(__global float *w, int wo, int rows, int cols, float min_value, float max_value,
                                   float rate) {
    int r = get_global_id(0);
    if (r < rows) {
        dendrite_norm_constraint_row(w + wo, r, cols, min_value, max_value, rate);
    }
}

/* The norm constraints over columns (axis 0), in work-groups of 256 (../common/constraints.h says how). */
__kernel __attribute__((reqd_work_group_size(DENDRITE_NORM_COLUMNS * DENDRITE_NORM_LANES, 1, 1))) void
norm_constraint_columns(__global float *w, int wo, int rows, int cols, float min_value, float max_value, float rate) {
    __local float part[DENDRITE_NORM_COLUMNS * DENDRITE_NORM_LANES];
    __local float factor[DENDRITE_NORM_COLUMNS];
    dendrite_norm_constraint_columns(w + wo, rows, cols, min_value, max_value, rate, part, factor);
}

/* Keras's NonNeg: w[i] = max(w[i], 0). */
__kernel void non_neg_constraint(__global float *w, int wo, int n) {
    int i = get_global_id(0);
    if (i < n) {
        w[wo + i] = dendrite_non_neg(w[wo + i]);
    }
}
