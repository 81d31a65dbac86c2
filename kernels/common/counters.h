/*
 * counters.h - the end of an optimizer kernel that also ends the training step (Backend.updateThenAdvanceCounters):
 * the last work-group to finish increments counters[0] (steps done) and counters[1] (batches done this epoch), as
 * advance_counters does, so that the step needs no launch of its own for it. OpenCL and CUDA (it needs work-groups).
 *
 * Safe because every work-item reads the counters (Adam's step) before the group's barrier, and a group takes its
 * ticket only after that barrier (last_group.h): the group that draws the last ticket knows that no other reads them
 * any more. The ticket (one int, 0 between kernels) is left at 0 again for the next kernel.
 * Every work-item of every group must call it, whether on or not (it contains a barrier).
 */
#ifndef DENDRITE_COUNTERS_H
#define DENDRITE_COUNTERS_H

#include "dialect.h"
#include "last_group.h"

#ifndef DENDRITE_HOST
/*
 * on == 0 (an update that does not end the step): nothing but the barrier. The barrier is outside any condition
 * because PoCL hangs on a barrier inside a branch, even one that every work-item takes (seen 2026-12-04 with
 * PoCL's pthread device: the kernel never finished); at the end of a kernel it costs next to nothing.
 */
DENDRITE_DEVICE void dendrite_advance_counters_by_last_group(int on, DENDRITE_GLOBAL int *counters,
                                                              DENDRITE_GLOBAL int *ticket) {
    dendrite_barrier_global(); /* every work-item of this group has read the counters */
    if (on && dendrite_local_id(0) == 0 && dendrite_local_id(1) == 0 && dendrite_local_id(2) == 0) {
        if (dendrite_take_last_ticket(ticket)) { /* every other group took its ticket before */
            dendrite_global_fence();
            counters[0] += 1;
            counters[1] += 1;
            *ticket = 0;
        }
    }
}
#endif

#endif /* DENDRITE_COUNTERS_H */
