/*
 * reductions.cu - column sums (the bias gradient when the upstream gradient is already with respect to the
 * pre-activation); the twin of ../opencl/reductions.cl.
 *
 * Why: column sums use the same column-tile layout as the fused activation backward (a block owns 32
 * adjacent columns over all rows, coalesced, one fixed-order pass, no atomics).
 */
#include "common.cuh"

/* out[c] = sum over r of x[r, c]. Block (32, DENDRITE_TILE_ROWS), grid ceil(cols / 32). */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_TILE_THREADS)
column_sums(const float *x, int rows, int cols, float *out) {
    dendrite_pdl_begin();
    int c = blockIdx.x * DENDRITE_TILE_COLS + threadIdx.x;
    dendrite_kahan acc = dendrite_kahan_zero();
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            acc = dendrite_kahan_add(acc, x[(size_t) r * cols + c]);
        }
    }
    float total = dendrite_tile_column_sum(acc.sum);
    if (threadIdx.y == 0 && c < cols) {
        out[c] = total;
    }
}
