/*
 * column_chunks.h - the layout of every OpenCL column sum, written once for the kernels that share it:
 * column_partial_sums (reductions.cl), the bias and alpha gradients fused into activation_backward and
 * prelu_backward (activations.cl), batch normalisation's partials (batchnorm.cl), and the output layer's bias
 * gradient summed by a softmax loss kernel's last group (row_stats.h).
 *
 * Work-item (c, chunk) of a cols x chunks grid adds up column c over the rows of its chunk,
 * [chunk * rows_per_chunk, min(rows, (chunk + 1) * rows_per_chunk)), into partial[chunk * stride + c]; then one
 * work-item per column folds that column's partials in chunk order (dendrite_column_fold). Both orders are fixed,
 * so the sums never depend on scheduling. The host picks rows_per_chunk (OpenClContext.ROWS_PER_CHUNK) and the
 * grid. CUDA sums a column differently (a block per 32 columns over all rows, cuda/common.cuh), so this is OpenCL's
 * own, as common.cuh is CUDA's.
 */
#ifndef DENDRITE_COLUMN_CHUNKS_H
#define DENDRITE_COLUMN_CHUNKS_H

#include "../common/last_group.h"
#include "../common/sums.h"

typedef struct {
    int c;     /* the column; cols or more for the work-items that round the grid up, which do nothing */
    int chunk;
    int first; /* the chunk's rows are [first, end) */
    int end;
} dendrite_column_chunk;

/* This work-item's column and rows. */
DENDRITE_DEVICE dendrite_column_chunk dendrite_column_chunk_here(int rows, int rows_per_chunk) {
    dendrite_column_chunk ch;
    ch.c = get_global_id(0);
    ch.chunk = get_global_id(1);
    ch.first = ch.chunk * rows_per_chunk;
    ch.end = min(rows, ch.first + rows_per_chunk);
    return ch;
}

/* Column c of x (cols wide) over rows [first, end): a chunk's partial, Kahan, in row order. */
DENDRITE_DEVICE float dendrite_column_chunk_sum(__global const float *x, int cols, int c, int first, int end) {
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int r = first; r < end; r++) {
        sum = dendrite_kahan_add(sum, x[r * cols + c]);
    }
    return sum.sum;
}

/* The sum of column c's partials, partial[chunk * stride + c] for chunk = 0 .. chunks - 1, Kahan, in chunk order. */
DENDRITE_DEVICE float dendrite_column_fold(__global const float *partial, int chunks, int stride, int c) {
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int chunk = 0; chunk < chunks; chunk++) {
        sum = dendrite_kahan_add(sum, partial[chunk * stride + c]);
    }
    return sum.sum;
}

/* Column c's partials folded (dendrite_column_fold) and divided by `divisor`: column_finalize's value. */
DENDRITE_DEVICE float dendrite_column_finalize_value(__global const float *partial, int chunks, int stride, int c,
                                                     float divisor) {
    float sum = dendrite_column_fold(partial, chunks, stride, c);
    return divisor == 1.0f ? sum : sum / divisor;
}

/*
 * The end of a kernel whose work-items wrote column partials, partial[chunk * stride + c], on a grid of work-groups:
 * the last group to finish (../common/last_group.h's ticket, the word after the error block) writes column_finalize's
 * value for every c < cols into out[c], so that the sum needs no launch of its own. `last` is a __local int of the
 * kernel's (OpenCL declares __local variables at kernel scope only). Every work-item of every group must call it,
 * whether on or not (dendrite_group_is_last's barriers).
 */
DENDRITE_DEVICE void dendrite_column_fold_by_last_group(int on, __global const float *partial, int chunks, int stride,
                                                        int cols, float divisor, __global float *out,
                                                        __global int *ticket, __local int *last) {
    int lid = dendrite_local_id(0) + dendrite_local_id(1) * (int) get_local_size(0);
    if (dendrite_group_is_last(on, lid, ticket, last)) {
        int size = (int) (get_local_size(0) * get_local_size(1));
        for (int c = lid; c < cols; c += size) {
            out[c] = dendrite_column_finalize_value(partial, chunks, stride, c, divisor);
        }
        if (lid == 0) {
            *ticket = 0;
        }
    }
}

/*
 * Every column sum of x (rows x cols) by one work-group, with column_partial_sums's and the fold's bits: its work-items
 * write the chunk partials (partial, chunks x cols) between them, then each column's fold goes to out[c]. For a kernel
 * whose last group sums what all the groups wrote (a loss kernel's dlogits: the output layer's bias gradient), so it
 * suits a few chunk partials per work-item, not a large x. Every work-item of every group must call it (its barrier
 * is outside any condition); only where `on` does it read or write.
 */
DENDRITE_DEVICE void dendrite_column_sums_in_group(int on, __global const float *x, int rows, int cols,
                                                   int rows_per_chunk, __global float *partial, __global float *out) {
    int lid = dendrite_local_id(0) + dendrite_local_id(1) * (int) get_local_size(0);
    int size = (int) (get_local_size(0) * get_local_size(1));
    int chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
    for (int p = lid; on && p < chunks * cols; p += size) {
        int chunk = p / cols;
        int first = chunk * rows_per_chunk;
        partial[p] = dendrite_column_chunk_sum(x, cols, p - chunk * cols, first, min(rows, first + rows_per_chunk));
    }
    dendrite_barrier_global(); /* the partials, written across the group, for the work-item of each column */
    for (int c = lid; on && c < cols; c += size) {
        out[c] = dendrite_column_fold(partial, chunks, cols, c);
    }
}

#endif /* DENDRITE_COLUMN_CHUNKS_H */
