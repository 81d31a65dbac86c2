/*
 * column_chunks.h - the layout of every OpenCL column sum, written once for the kernels that share it:
 * column_partial_sums (reductions.cl), the bias and alpha gradients fused into activation_backward and
 * prelu_backward (activations.cl), and batch normalisation's partials (batchnorm.cl).
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

/* The sum of column c's partials, partial[chunk * stride + c] for chunk = 0 .. chunks - 1, Kahan, in chunk order. */
DENDRITE_DEVICE float dendrite_column_fold(__global const float *partial, int chunks, int stride, int c) {
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int chunk = 0; chunk < chunks; chunk++) {
        sum = dendrite_kahan_add(sum, partial[chunk * stride + c]);
    }
    return sum.sum;
}

#endif /* DENDRITE_COLUMN_CHUNKS_H */
