/*
 * last_group.h - which work-group finishes a kernel last, so that it can do the kernel's final step (advance the step
 * counters, fold column partials, add up row statistics) in the same launch instead of one of its own. OpenCL and
 * CUDA (it needs work-groups).
 *
 * Each group's work-items write what the last group will read, then pass a barrier that orders global memory; one
 * work-item of the group then fences and takes a ticket. The group that draws the last ticket knows that every other
 * group's writes are done. The ticket is one int, 0 between kernels, which the last group sets back to 0 (the kernels
 * of one queue or stream never overlap, so they can share one word: the one after the error block).
 */
#ifndef DENDRITE_LAST_GROUP_H
#define DENDRITE_LAST_GROUP_H

#include "dialect.h"

#ifndef DENDRITE_HOST
/* One work-item per group, after the group's barrier: whether this group is the last to take its ticket. */
DENDRITE_DEVICE int dendrite_take_last_ticket(DENDRITE_GLOBAL int *ticket) {
    dendrite_global_fence();
    int groups = dendrite_num_groups(0) * dendrite_num_groups(1) * dendrite_num_groups(2);
    return dendrite_atomic_add_i32(ticket, 1) == groups - 1;
}
#endif

#endif /* DENDRITE_LAST_GROUP_H */
