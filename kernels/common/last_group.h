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
/*
 * One work-item per group, after the group's barrier: whether this group is the last of `count` groups to take a
 * ticket on `ticket` (all of the kernel's groups, or those that share one tile of a split product).
 */
DENDRITE_DEVICE int dendrite_take_last_ticket_of(DENDRITE_GLOBAL int *ticket, int count) {
    dendrite_global_fence();
    return dendrite_atomic_add_i32(ticket, 1) == count - 1;
}

/* The same over all the kernel's groups. */
DENDRITE_DEVICE int dendrite_take_last_ticket(DENDRITE_GLOBAL int *ticket) {
    return dendrite_take_last_ticket_of(ticket, dendrite_num_groups(0) * dendrite_num_groups(1) *
                                                    dendrite_num_groups(2));
}

/*
 * Every work-item of a group, once it has written what the last group will read: whether its group is the last of
 * the `count` that take tickets on `ticket` (never where on == 0, which takes no ticket). `lid` is the work-item's
 * index in its group, `last` an int of the kernel's local memory that carries the answer to the whole group. Its two
 * barriers are outside any condition (PoCL hangs on a barrier inside a branch), so every work-item of every group
 * must call it; the last group's work-items fence before they read the other groups' writes.
 */
DENDRITE_DEVICE int dendrite_group_is_last_of(int on, int lid, DENDRITE_GLOBAL int *ticket, int count,
                                              DENDRITE_LOCAL_PTR int *last) {
    dendrite_barrier_global(); /* this group's writes are done */
    if (lid == 0) {
        *last = on ? dendrite_take_last_ticket_of(ticket, count) : 0;
    }
    dendrite_barrier_global();
    int is_last = *last;
    if (is_last) {
        dendrite_global_fence();
    }
    return is_last;
}

/* The same over all the kernel's groups. */
DENDRITE_DEVICE int dendrite_group_is_last(int on, int lid, DENDRITE_GLOBAL int *ticket,
                                           DENDRITE_LOCAL_PTR int *last) {
    return dendrite_group_is_last_of(on, lid, ticket,
                                     dendrite_num_groups(0) * dendrite_num_groups(1) * dendrite_num_groups(2), last);
}
#endif

#endif /* DENDRITE_LAST_GROUP_H */
