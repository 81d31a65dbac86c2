/*
 * row_stats.h - a work-group's sums of statistics (dendrite_group_sum2, dendrite_add_stats: reductions.cl's
 * accumulate_stats is made of them), and the end of a loss kernel: the last work-group to finish adds up the per-row
 * (loss, accuracy) that every work-item wrote, row_stats[r] and row_stats[rows + r], into stats[0] and stats[1] with
 * the same code (coefficients 1, 0, 1), and so with accumulate_stats's bits where the group has its size
 * (OpenClContext launches both with powerOfTwoGroup of GROUP), in the same launch instead of one of its own
 * (../common/last_group.h's ticket, the word after the error block). The group size must be a power of two; `last`,
 * `la` and `lb` are the kernel's __local memory (la and lb one float per work-item). Every work-item of every group
 * must call it, whether on or not (with on == 0, -Ddendrite.opencl.lastGroup=false, accumulate_stats follows in a
 * launch of its own): its barriers are outside any condition.
 */
#ifndef DENDRITE_ROW_STATS_H
#define DENDRITE_ROW_STATS_H

#include "../common/last_group.h"
#include "../common/sums.h"
#include "column_chunks.h"

/*
 * The group's sums of a[0..count) and of b[0..count) into la[0] and lb[0]: a Kahan sum per work-item over a stride of
 * the group's `size` (a power of two), then a tree over the work-items (dendrite_local_sum2). accumulate_stats's
 * arithmetic; every work-item of the group must call it (barriers).
 */
DENDRITE_DEVICE void dendrite_group_sum2(__global const float *a, __global const float *b, int count, int lid,
                                         int size, __local float *la, __local float *lb) {
    dendrite_kahan sa = dendrite_kahan_zero();
    dendrite_kahan sb = dendrite_kahan_zero();
    for (int i = lid; i < count; i += size) {
        sa = dendrite_kahan_add(sa, a[i]);
        sb = dendrite_kahan_add(sb, b[i]);
    }
    la[lid] = sa.sum;
    lb[lid] = sb.sum;
    dendrite_local_sum2(la, lb, lid, size);
}

/* stats[0] += ca * A + cb * B and stats[1] += cc * B, for the group's sums A and B (one work-item). */
DENDRITE_DEVICE void dendrite_add_stats(__global float *stats, float ca, float cb, float cc, float sum_a, float sum_b) {
    /* A zero coefficient drops its term: 0 * inf would turn an unused, overflowed sum into NaN. */
    float loss = (ca != 0.0f ? ca * sum_a : 0.0f) + (cb != 0.0f ? cb * sum_b : 0.0f);
    stats[0] = stats[0] + loss;
    if (cc != 0.0f) {
        stats[1] = stats[1] + cc * sum_b;
    }
}

/*
 * The same, and with bias_grad (and on) the output layer's bias gradient too: the last group sums the columns of
 * dlogits (rows x cols, every group's rows written) into dbias with column_partial_sums's bits
 * (column_chunks.h's dendrite_column_sums_in_group, the chunk partials in `partial`), so that the layer's backward
 * pass needs no launch for it (Backend.denseSoftmaxCrossEntropy with a bias gradient).
 */
DENDRITE_DEVICE void dendrite_loss_end_by_last_group(int on, __global const float *row_stats, int rows,
                                                     __global float *stats, __global int *ticket, __local int *last,
                                                     __local float *la, __local float *lb, int bias_grad,
                                                     __global const float *dlogits, int cols, int rows_per_chunk,
                                                     __global float *partial, __global float *dbias) {
    int size = (int) (get_local_size(0) * get_local_size(1));
    int lid = (int) (get_local_id(0) + get_local_id(1) * get_local_size(0));
    int folds = dendrite_group_is_last(on, lid, ticket, last);
    /* every group reaches the sums' barriers; only the last one has rows to add */
    dendrite_group_sum2(row_stats, row_stats + rows, folds ? rows : 0, lid, size, la, lb);
    if (folds && lid == 0) {
        dendrite_add_stats(stats, 1.0f, 0.0f, 1.0f, la[0], lb[0]); /* a loss's coefficients, as softmaxCrossEntropy's */
        *ticket = 0;
    }
    dendrite_column_sums_in_group(folds && bias_grad, dlogits, rows, cols, rows_per_chunk, partial, dbias);
}

DENDRITE_DEVICE void dendrite_row_stats_by_last_group(int on, __global const float *row_stats, int rows,
                                                      __global float *stats, __global int *ticket, __local int *last,
                                                      __local float *la, __local float *lb) {
    dendrite_loss_end_by_last_group(on, row_stats, rows, stats, ticket, last, la, lb, 0, row_stats, 0, 1, 0, 0);
}

#endif /* DENDRITE_ROW_STATS_H */
