/*
 * constraints.h - Keras's weight constraints, which the engine applies after each update: the norm constraints
 * (MaxNorm, MinMaxNorm, UnitNorm) on one vector of a weight, a column (axis 0, Keras's default: a Dense unit's
 * incoming weights) or a row (axis 1) of a row-major matrix, and NonNeg on one element. Keras's formulas are in
 * keras/src/constraints/constraints.py; the CPU's twin is CpuRegularizerOps.normFactor.
 *
 * One work-item per vector walks it twice, for its norm and then to scale it: a Dense kernel has a few hundred
 * vectors of a few hundred elements, and the op runs once per step and weight, only where a layer asks for it.
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

/* Vector v of w, `length` elements `step` apart from w[v * stride], scaled to its constrained norm. */
DENDRITE_DEVICE void dendrite_norm_constraint_vector(DENDRITE_GLOBAL float *w, int v, int length, int step,
                                                     int stride, float min_value, float max_value, float rate) {
    DENDRITE_GLOBAL float *x = w + v * stride;
    dendrite_kahan sq = dendrite_kahan_zero();
    for (int i = 0; i < length; i++) {
        float e = x[i * step];
        sq = dendrite_kahan_add(sq, e * e);
    }
    float f = dendrite_norm_factor(dendrite_sqrtf(sq.sum), min_value, max_value, rate);
    for (int i = 0; i < length; i++) {
        x[i * step] *= f;
    }
}

/* NonNeg: max(x, 0), written so that NaN stays NaN as Keras's maximum leaves it. */
DENDRITE_DEVICE float dendrite_non_neg(float x) {
    return x < 0.0f ? 0.0f : x;
}

#endif /* DENDRITE_CONSTRAINTS_H */
