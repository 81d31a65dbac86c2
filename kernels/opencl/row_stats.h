/*
 * row_stats.h - the end of a loss kernel: the last work-group to finish adds up the per-row (loss, accuracy) that
 * every work-item wrote, row_stats[r] and row_stats[rows + r], into stats[0] and stats[1], with reductions.cl's
 * accumulate_stats's arithmetic (coefficients 1, 0, 1: a Kahan sum per lane over a stride of the group's size, then a
 * tree over the lanes) and so its bits where the group has accumulate_stats's size (OpenClContext launches both with
 * powerOfTwoGroup of GROUP), in the same launch instead of one of its own (../common/last_group.h's ticket, the word
 * after the error block). The group size must be a power of two; `last`, `la` and `lb` are the kernel's __local
 * memory (la and lb one float per work-item). Every work-item of every group must call it, whether on or not (with
 * on == 0, -Ddendrite.opencl.lastGroup=false, accumulate_stats follows in a launch of its own): its barriers are
 * outside any condition.
 */
#ifndef DENDRITE_ROW_STATS_H
#define DENDRITE_ROW_STATS_H

#include "../common/last_group.h"
#include "../common/sums.h"

DENDRITE_DEVICE void dendrite_row_stats_by_last_group(int on, __global const float *row_stats, int rows,
                                                      __global float *stats, __global int *ticket, __local int *last,
                                                      __local float *la, __local float *lb) {
    int size = (int) (get_local_size(0) * get_local_size(1));
    int lid = (int) (get_local_id(0) + get_local_id(1) * get_local_size(0));
    dendrite_barrier_global(); /* this group's rows are written */
    if (lid == 0) {
        *last = on ? dendrite_take_last_ticket(ticket) : 0;
    }
    dendrite_barrier_global();
    int folds = *last;
    dendrite_global_fence();
    dendrite_kahan sa = dendrite_kahan_zero();
    dendrite_kahan sb = dendrite_kahan_zero();
    for (int i = lid; folds && i < rows; i += size) {
        sa = dendrite_kahan_add(sa, row_stats[i]);
        sb = dendrite_kahan_add(sb, row_stats[rows + i]);
    }
    la[lid] = sa.sum;
    lb[lid] = sb.sum;
    dendrite_local_sum2(la, lb, lid, size); /* every group: its barriers must not sit in a branch */
    if (folds && lid == 0) {
        stats[0] = stats[0] + la[0];
        stats[1] = stats[1] + lb[0];
        *ticket = 0;
    }
}

#endif /* DENDRITE_ROW_STATS_H */
