/*
 * data.cu - data movement on the device: building a batch from a device-resident dataset (gather of
 * shuffled rows, with the affine transform that turns U8 pixels into F32 features), the epoch shuffle, and
 * the step counters.
 *
 * Why: the dataset lives on the GPU as uint8 (60,000 x 784 bytes = 47 MB for Fashion-MNIST), so a training
 * step never copies from the host. The batch index is read from counters[1] on the device, so a captured
 * step gathers the next batch on every replay; the step's last update kernel moves it on at its end (common.cuh:
 * dendrite_advance_counters_when_last), or advance_counters, the last node of a step, where that update cannot.
 *
 * The shuffle is defined by sort keys (Philox bits, index) (Backend.randomPermutation). It is sorted with a
 * bitonic network on the 64-bit keys (bits << 32 | index): deterministic, simple, and at dataset sizes
 * (2^16 keys: about 20 launches, most work in shared memory) far below a millisecond per epoch.
 *
 * Values the host cannot check without a round trip (the batch counter, shuffle indices) are guarded; a bad
 * one is recorded in the control block's error words (kernels/common/errors.h) and its row is zero-filled.
 */
#include "common.cuh"
#include "philox.h"

/*
 * Source row of output row r: indices[counters[1] * batch_size + r] (identity without indices; batch 0
 * without counters), or -1 after recording why there is none.
 */
__device__ __forceinline__ int gather_source_row(int r, const int *indices, int positions, const int *counters,
                                                 int batch_size, int src_rows, int *control) {
    int batch = counters != nullptr ? counters[1] : 0;
    long long pos = (long long) batch * batch_size + r;
    if (batch < 0 || pos >= positions) {
        dendrite_report_error(control, DENDRITE_ERROR_GATHER_BATCH, batch, batch_size, positions);
        return -1;
    }
    int j = indices != nullptr ? indices[pos] : (int) pos;
    if (j < 0 || j >= src_rows) {
        dendrite_report_error(control, DENDRITE_ERROR_GATHER_ROW, j, (int) pos, src_rows);
        return -1;
    }
    return j;
}

/*
 * Row r of a float gather: out[f] = src_row[f] * scale[f] + shift[f] (scale / shift may be null: 1 / 0), zeros
 * where the source row is missing (null), threads striding over the width. The multiply and the add are rounded
 * separately, as the CPU reference (Java float arithmetic) rounds them: no fused multiply-add.
 */
template <typename T>
__device__ __forceinline__ void gather_row_to_f32(const T *src_row, int width, const float *scale,
                                                  const float *shift, float *o) {
    bool transform = scale != nullptr || shift != nullptr;
    for (int f = threadIdx.x; f < width; f += blockDim.x) {
        float x = 0.0f;
        if (src_row != nullptr) {
            x = (float) src_row[f];
            if (transform) {
                float a = scale != nullptr ? scale[f] : 1.0f;
                float b = shift != nullptr ? shift[f] : 0.0f;
                x = __fadd_rn(__fmul_rn(x, a), b);
            }
        }
        o[f] = x;
    }
}

/* Row r of a word gather (I32 labels, or F32 targets moved as bits): zeros where the source row is missing. */
__device__ __forceinline__ void gather_row_words(const int *src_row, int width, int *o) {
    for (int f = threadIdx.x; f < width; f += blockDim.x) {
        o[f] = src_row != nullptr ? src_row[f] : 0;
    }
}

/* One block per output row (grid = rows): out[r, f] = src[row(r), f] * scale[f] + shift[f]. */
template <typename T>
__device__ __forceinline__ void gather_to_f32(const T *src, int src_rows, int width, const int *indices,
                                              int positions, const int *counters, int batch_size,
                                              const float *scale, const float *shift, float *out, int *control) {
    int r = blockIdx.x;
    int j = gather_source_row(r, indices, positions, counters, batch_size, src_rows, control);
    gather_row_to_f32(j < 0 ? (const T *) nullptr : src + (size_t) j * width, width, scale, shift,
                      out + (size_t) r * width);
}

DENDRITE_KERNEL void gather_u8(const unsigned char *src, int src_rows, int width, const int *indices, int positions,
                               const int *counters, int batch_size, const float *scale, const float *shift,
                               float *out, int *control) {
    dendrite_pdl_begin();
    gather_to_f32(src, src_rows, width, indices, positions, counters, batch_size, scale, shift, out, control);
}

DENDRITE_KERNEL void gather_f32(const float *src, int src_rows, int width, const int *indices, int positions,
                                const int *counters, int batch_size, const float *scale, const float *shift,
                                float *out, int *control) {
    dendrite_pdl_begin();
    gather_to_f32(src, src_rows, width, indices, positions, counters, batch_size, scale, shift, out, control);
}

/* Integer rows (labels) are copied unchanged. Same launch shape as the float gathers. */
DENDRITE_KERNEL void gather_i32(const int *src, int src_rows, int width, const int *indices, int positions,
                                const int *counters, int batch_size, int *out, int *control) {
    dendrite_pdl_begin();
    int r = blockIdx.x;
    int j = gather_source_row(r, indices, positions, counters, batch_size, src_rows, control);
    gather_row_words(j < 0 ? nullptr : src + (size_t) j * width, width, out + (size_t) r * width);
}

/*
 * Backend.gatherBatch in one launch: block r gathers row r of the inputs (as gather_T) and the same source row
 * of the targets y (y_width 32-bit words: I32 labels or F32 rows as bits). In a captured step the labels' own
 * gather was a graph node of its own, about 3 us on an H200 for 512 bytes. With `advance` non-null
 * (Backend.gatherBatchThenAdvanceCounters: an evaluation batch, where nothing after the gather reads the counters)
 * the last block advances them (the counters read here) at the end, as advance_counters would after it
 * (common.cuh's dendrite_advance_counters_when_last): one graph node less a batch.
 */
template <typename T>
__device__ __forceinline__ void gather_batch(const T *src, int src_rows, int width, const int *indices,
                                             int positions, const int *counters, int batch_size,
                                             const float *scale, const float *shift, float *out, const int *y,
                                             int y_width, int *y_out, int *advance, int *control) {
    int r = blockIdx.x;
    int j = gather_source_row(r, indices, positions, counters, batch_size, src_rows, control);
    gather_row_to_f32(j < 0 ? (const T *) nullptr : src + (size_t) j * width, width, scale, shift,
                      out + (size_t) r * width);
    gather_row_words(j < 0 ? nullptr : y + (size_t) j * y_width, y_width, y_out + (size_t) r * y_width);
    dendrite_advance_counters_when_last(advance, control);
}

DENDRITE_KERNEL void gather_batch_u8(const unsigned char *src, int src_rows, int width, const int *indices,
                                     int positions, const int *counters, int batch_size, const float *scale,
                                     const float *shift, float *out, const int *y, int y_width, int *y_out,
                                     int *advance, int *control) {
    dendrite_pdl_begin();
    gather_batch(src, src_rows, width, indices, positions, counters, batch_size, scale, shift, out, y, y_width,
                 y_out, advance, control);
}

DENDRITE_KERNEL void gather_batch_f32(const float *src, int src_rows, int width, const int *indices, int positions,
                                      const int *counters, int batch_size, const float *scale, const float *shift,
                                      float *out, const int *y, int y_width, int *y_out, int *advance,
                                      int *control) {
    dendrite_pdl_begin();
    gather_batch(src, src_rows, width, indices, positions, counters, batch_size, scale, shift, out, y, y_width,
                 y_out, advance, control);
}

/* ------------------------------------------------------------------ the epoch shuffle */

/*
 * keys[i] = (Philox bits << 32) | i for i < n, padded to a power of two with all-ones keys, which sort after
 * every real key (a real key's low word is an index < n < 2^31).
 */
DENDRITE_KERNEL void permutation_keys(unsigned long long *keys, int n, int padded, unsigned int seed_lo,
                                      unsigned int seed_hi, int epoch, int stream) {
    dendrite_pdl_begin();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) padded; i += DENDRITE_GRID_STRIDE) {
        keys[i] = i < (unsigned int) n
                      ? ((unsigned long long) dendrite_philox_bits(seed_lo, seed_hi, i, (unsigned int) epoch,
                                                                   (unsigned int) stream) << 32) | i
                      : 0xFFFFFFFFFFFFFFFFull;
    }
}

/*
 * One compare-exchange of the bitonic network, on a shared tile (global_i = the tile's base + i) or on the keys in
 * global memory (global_i = i): ascending where (global index & k) == 0.
 */
__device__ __forceinline__ void bitonic_compare(unsigned long long *tile, unsigned int i, unsigned int j,
                                                unsigned int global_i, unsigned int k) {
    unsigned long long a = tile[i];
    unsigned long long b = tile[i + j];
    bool ascending = (global_i & k) == 0;
    if ((a > b) == ascending) {
        tile[i] = b;
        tile[i + j] = a;
    }
}

/* Loads this block's tile of 2 * blockDim.x keys into shared memory; returns the tile's first global index. */
__device__ __forceinline__ unsigned int load_tile(const unsigned long long *keys, unsigned long long *tile) {
    unsigned int l = blockDim.x;
    unsigned int t = threadIdx.x;
    unsigned int base = blockIdx.x * 2 * l;
    tile[t] = keys[base + t];
    tile[t + l] = keys[base + t + l];
    __syncthreads();
    return base;
}

__device__ __forceinline__ void store_tile(unsigned long long *keys, const unsigned long long *tile,
                                           unsigned int base) {
    unsigned int l = blockDim.x;
    unsigned int t = threadIdx.x;
    keys[base + t] = tile[t];
    keys[base + t + l] = tile[t + l];
}

/* Steps j = first_j, first_j / 2, ..., 1 of merge stage k on a tile in shared memory, one pair per thread. */
__device__ __forceinline__ void bitonic_steps(unsigned long long *tile, unsigned int base, unsigned int k,
                                              unsigned int first_j) {
    unsigned int t = threadIdx.x;
    for (unsigned int j = first_j; j > 0; j >>= 1) {
        unsigned int i = ((t & ~(j - 1)) << 1) | (t & (j - 1));
        bitonic_compare(tile, i, j, base + i, k);
        __syncthreads();
    }
}

/*
 * Sorts each tile of 2 * blockDim.x keys in shared memory through every stage k <= 2 * blockDim.x, each tile
 * in the direction the global network gives it. Dynamic shared memory: 2 * blockDim.x keys.
 */
DENDRITE_KERNEL void __launch_bounds__(1024)
bitonic_sort_local(unsigned long long *keys) {
    dendrite_pdl_begin();
    extern __shared__ unsigned long long tile[];
    unsigned int base = load_tile(keys, tile);
    for (unsigned int k = 2; k <= 2 * blockDim.x; k <<= 1) {
        bitonic_steps(tile, base, k, k >> 1);
    }
    store_tile(keys, tile, base);
}

/* One merge step (k, j) whose partners are at least a tile apart: one thread per compared pair. */
DENDRITE_KERNEL void bitonic_merge_global(unsigned long long *keys, unsigned int k, unsigned int j,
                                          unsigned int pairs) {
    dendrite_pdl_begin();
    for (unsigned int t = DENDRITE_GRID_START; t < pairs; t += DENDRITE_GRID_STRIDE) {
        unsigned int i = ((t & ~(j - 1)) << 1) | (t & (j - 1));
        bitonic_compare(keys, i, j, i, k);
    }
}

/* The remaining steps j = blockDim.x .. 1 of merge stage k, whose partners lie within one tile. */
DENDRITE_KERNEL void __launch_bounds__(1024)
bitonic_merge_local(unsigned long long *keys, unsigned int k) {
    dendrite_pdl_begin();
    extern __shared__ unsigned long long tile[];
    unsigned int base = load_tile(keys, tile);
    bitonic_steps(tile, base, k, blockDim.x);
    store_tile(keys, tile, base);
}

/* out[i] = the index in the low word of the i-th sorted key. */
DENDRITE_KERNEL void permutation_write(const unsigned long long *keys, int n, int *out) {
    dendrite_pdl_begin();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        out[i] = (int) (unsigned int) keys[i];
    }
}

/* ------------------------------------------------------------------ counters */

/* counters[0] (steps completed) and counters[1] (batches completed this epoch) both advance by one. */
DENDRITE_KERNEL void advance_counters(int *counters) {
    dendrite_pdl_begin();
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        counters[0] += 1;
        counters[1] += 1;
    }
}
