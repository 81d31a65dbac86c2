/*
 * constraints.h - Keras's weight constraints, which the engine applies after each update: the norm constraints
 * (MaxNorm, MinMaxNorm, UnitNorm) on one vector of a weight, a column (axis 0, Keras's default: a Dense unit's
 * incoming weights) or a row (axis 1) of a row-major matrix, and NonNeg on one element. Keras's formulas are in
 * keras/src/constraints/constraints.py; the CPU's twin is CpuRegularizerOps.normFactor.
 *
 * A row (axis 1) is one work-item's: it walks the row twice, for its norm and then to scale it. Columns (axis 0,
 * the usual case) go 32 to a work-group of 256, 8 lanes of rows per column (dendrite_norm_constraint_columns), so
 * that a 784 x 512 kernel's sums are 98 rows long rather than 784, on 16 work-groups rather than 2 (one per thread
 * would leave a GPU nearly idle for the length of a 784-term chain of dependent adds), and every read of a row's 32
 * columns is one coalesced line.
 */
#ifndef DENDRITE_CONSTRAINTS_H
#define DENDRITE_CONSTRAINTS_H

#include "dialect.h"
#include "sums.h"

/*
 * What a vector of L2 norm `norm` is multiplied by: desired / (epsilon + norm), desired = rate * clip(norm, min,
 * max) + (1 - rate) * norm, in float as Keras computes it. The comparisons keep a NaN norm NaN, as Keras's clip
 * does; fminf and fmaxf would drop it.
 */
DENDRITE_DEVICE float dendrite_norm_factor(float norm, float min_value, float max_value, float rate) {
    float clipped = norm < min_value ? min_value : (norm > max_value ? max_value : norm);
    float desired = rate * clipped + (1.0f - rate) * norm;
    return desired / (1e-7f + norm);
}

/* Row r of a rows x cols weight (axis 1), scaled to its constrained norm by one work-item. */
DENDRITE_DEVICE void dendrite_norm_constraint_row(DENDRITE_GLOBAL float *w, int r, int cols, float min_value,
                                                  float max_value, float rate) {
    DENDRITE_GLOBAL float *x = w + r * cols;
    dendrite_kahan sq = dendrite_kahan_zero();
    for (int c = 0; c < cols; c++) {
        sq = dendrite_kahan_add(sq, x[c] * x[c]);
    }
    float f = dendrite_norm_factor(dendrite_sqrtf(sq.sum), min_value, max_value, rate);
    for (int c = 0; c < cols; c++) {
        x[c] *= f;
    }
}

#ifndef DENDRITE_HOST
#define DENDRITE_NORM_COLUMNS 32 /* columns per work-group; the hosts' NORM_COLUMNS */
#define DENDRITE_NORM_LANES 8    /* lanes of rows per column: 256 work-items in all */

/*
 * The norm constraint over each column of a rows x cols weight (axis 0), by work-groups of 256 work-items: item
 * t takes column c0 + t % 32 and rows t / 32, t / 32 + 8, ... (a Kahan sum), the group adds its column's 8
 * partial sums in lane order (so the bits do not depend on timing), and all 256 scale their elements by the
 * factor. part (256 floats) and factor (32) are local arrays at kernel scope. Every work-item reaches every
 * barrier: the loop over column tiles depends on the group alone.
 */
DENDRITE_DEVICE void dendrite_norm_constraint_columns(DENDRITE_GLOBAL float *w, int rows, int cols, float min_value,
                                                      float max_value, float rate, DENDRITE_LOCAL_PTR float *part,
                                                      DENDRITE_LOCAL_PTR float *factor) {
    int t = dendrite_local_id(0);
    int col = t % DENDRITE_NORM_COLUMNS;
    int lane = t / DENDRITE_NORM_COLUMNS;
    for (int c0 = dendrite_group_id(0) * DENDRITE_NORM_COLUMNS; c0 < cols;
         c0 += dendrite_num_groups(0) * DENDRITE_NORM_COLUMNS) {
        int c = c0 + col;
        dendrite_kahan sq = dendrite_kahan_zero();
        for (int r = lane; r < rows && c < cols; r += DENDRITE_NORM_LANES) {
            float e = w[r * cols + c];
            sq = dendrite_kahan_add(sq, e * e);
        }
        part[t] = sq.sum;
        dendrite_barrier();
        if (lane == 0) {
            dendrite_kahan total = dendrite_kahan_zero();
            for (int l = 0; l < DENDRITE_NORM_LANES; l++) {
                total = dendrite_kahan_add(total, part[l * DENDRITE_NORM_COLUMNS + col]);
            }
            factor[col] = dendrite_norm_factor(dendrite_sqrtf(total.sum), min_value, max_value, rate);
        }
        dendrite_barrier();
        for (int r = lane; r < rows && c < cols; r += DENDRITE_NORM_LANES) {
            w[r * cols + c] *= factor[col];
        }
        dendrite_barrier(); /* part and factor are the next tile's */
    }
}
#endif

/* NonNeg: max(x, 0), written so that NaN stays NaN as Keras's maximum leaves it. */
DENDRITE_DEVICE float dendrite_non_neg(float x) {
    return x < 0.0f ? 0.0f : x;
}

#endif /* DENDRITE_CONSTRAINTS_H */
