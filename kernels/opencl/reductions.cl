/*
 * reductions.cl - deterministic sums. Column sums are two passes: work-item (c, chunk) adds up column c over
 * a fixed chunk of rows into a partial, then column_finalize adds the partials of each column in chunk order.
 * Long vectors are cut into a fixed number of work-groups whose partials one work-group adds up. Nothing
 * depends on scheduling (no atomics on floats), so the same inputs always give the same bits.
 */
#include "../common/errors.h" /* the ticket word after the error block */
#include "column_chunks.h"
#include "row_stats.h"

/*
 * partial[chunk * cols + c] = sum of x[r, c] over the chunk's rows (column_chunks.h). With fold, the last work-group
 * then writes out[c] = (sum of column c's partials) / divisor, as column_finalize would, in the same launch.
 */
__kernel void column_partial_sums(__global const float *x, int xo, int rows, int cols, int rows_per_chunk,
                                  __global float *partial, int po, int fold, float divisor, __global float *out,
                                  int oo, __global int *control) {
    __local int last;
    dendrite_column_chunk ch = dendrite_column_chunk_here(rows, rows_per_chunk);
    if (ch.c < cols) { /* no early return: every work-item reaches the last group's barriers below */
        partial[po + ch.chunk * cols + ch.c] = dendrite_column_chunk_sum(x + xo, cols, ch.c, ch.first, ch.end);
    }
    dendrite_column_fold_by_last_group(fold, partial + po, (int) get_global_size(1), cols, cols, divisor, out + oo,
                                       control + DENDRITE_ERROR_WORDS, &last);
}

/* out[c] = (sum over chunks of partial[chunk * width + c]) / divisor, for c < width. */
__kernel void column_finalize(__global const float *partial, int po, int chunks, int width, float divisor,
                              __global float *out, int oo) {
    int c = get_global_id(0);
    if (c >= width) {
        return;
    }
    out[oo + c] = dendrite_column_finalize_value(partial + po, chunks, width, c, divisor);
}


/*
 * One work-group (power-of-two size) adds up a[0..count) and b[0..count), then
 * stats[0] += ca * A + cb * B and stats[1] += cc * B. Losses pass their per-row (loss, accuracy) with
 * (1, 0, 1); the regularizer penalty its per-group (sum |w|, sum w^2) with (scale l1, scale l2, 0).
 */
__kernel void accumulate_stats(__global const float *a, int ao, __global const float *b, int bo, int count,
                               float ca, float cb, float cc, __global float *stats, int so,
                               __local float *la, __local float *lb) {
    int lid = get_local_id(0);
    dendrite_group_sum2(a + ao, b + bo, count, lid, get_local_size(0), la, lb);
    if (lid == 0) {
        dendrite_add_stats(stats + so, ca, cb, cc, la[0], lb[0]);
    }
}
