/*
 * data.cl - data movement on the device: building a batch (gather of shuffled rows, with the affine
 * transform that turns U8 pixels into F32 features), the epoch shuffle (Philox keys sorted by a bitonic
 * sort) and the step counters.
 *
 * Every buffer argument is followed by the element offset of its slice; optional inputs come with a
 * has_* flag (the host then passes any valid buffer in their place).
 */
#include "../common/philox.h"
#include "../common/errors.h"
#include "../common/counters.h"

/* The transform is x * scale + shift exactly as the CPU reference rounds it: no fused multiply-add. */
#pragma OPENCL FP_CONTRACT OFF

/*
 * Source row of output row r, or -1 after reporting why there is none: row
 * indices[counters[1] * batch_size + r] of src (the identity without indices).
 */
DENDRITE_DEVICE int gather_source_row(int r, __global const int *indices, int io, int positions, int has_indices,
                                    __global const int *counters, int co, int has_counters, int batch_size,
                                    int src_rows, __global int *err) {
    int batch = has_counters ? counters[co + 1] : 0;
    long pos = (long) batch * batch_size + r;
    if (batch < 0 || pos >= positions) {
        dendrite_report_error(err, DENDRITE_ERROR_GATHER_BATCH, batch, batch_size, positions);
        return -1;
    }
    int j = has_indices ? indices[io + (int) pos] : (int) pos;
    if (j < 0 || j >= src_rows) {
        dendrite_report_error(err, DENDRITE_ERROR_GATHER_ROW, j, (int) pos, src_rows);
        return -1;
    }
    return j;
}

/* One gathered value transformed: x * scale[f] + shift[f] (a missing scale is 1, a missing shift 0). */
DENDRITE_DEVICE float gather_transform(float x, int f, __global const float *scale, int sco, int has_scale,
                                       __global const float *shift, int sho, int has_shift) {
    if (has_scale || has_shift) {
        float a = has_scale ? scale[sco + f] : 1.0f;
        float b = has_shift ? shift[sho + f] : 0.0f;
        x = x * a + b;
    }
    return x;
}

/* out[r, f] = src[row(r), f] * scale[f] + shift[f] for a float-valued source type T (float or uchar). */
#define DEFINE_GATHER_TO_F32(NAME, T)                                                                    \
    __kernel void NAME(__global const T *src, int so, int src_rows, int width,                          \
                       __global const int *indices, int io, int positions, int has_indices,             \
                       __global const int *counters, int co, int has_counters, int batch_size, int rows, \
                       __global const float *scale, int sco, int has_scale,                             \
                       __global const float *shift, int sho, int has_shift,                             \
                       __global float *out, int oo, __global int *err) {                                \
        int gid = get_global_id(0);                                                                      \
        if (gid >= rows * width) {                                                                       \
            return;                                                                                      \
        }                                                                                                \
        int r = gid / width;                                                                             \
        int j = gather_source_row(r, indices, io, positions, has_indices, counters, co, has_counters,   \
                                  batch_size, src_rows, err);                                            \
        int f = gid - r * width;                                                                         \
        out[oo + gid] = j < 0 ? 0.0f : gather_transform((float) src[so + j * width + f], f, scale, sco, \
                                                        has_scale, shift, sho, has_shift);               \
    }

DEFINE_GATHER_TO_F32(gather_f32, float)
DEFINE_GATHER_TO_F32(gather_u8, uchar)

/*
 * Backend.gatherBatch in one launch: work items [0, rows * width) are gather_T's on the inputs, the next
 * rows * y_width copy the same rows of the targets y (I32 labels or F32 rows, moved as 32-bit words, as bits).
 * One launch instead of two: on a GPU the second gather's launch costs more than its few bytes.
 * With has_advance (Backend.gatherBatchThenAdvanceCounters: an evaluation batch, where nothing after the gather reads
 * the counters) the last work-group advances `advance` (the counters read here) at the end, as advance_counters
 * would after it (../common/counters.h; the ticket is the word after the error block): one launch less a batch.
 */
#define DEFINE_GATHER_BATCH(NAME, T)                                                                     \
    __kernel void NAME(__global const T *src, int so, int src_rows, int width,                          \
                       __global const int *indices, int io, int positions, int has_indices,             \
                       __global const int *counters, int co, int has_counters, int batch_size, int rows, \
                       __global const float *scale, int sco, int has_scale,                             \
                       __global const float *shift, int sho, int has_shift,                             \
                       __global float *out, int oo,                                                     \
                       __global const int *y, int yo, int y_width, __global int *y_out, int yoo,        \
                       __global int *advance, int ao, int has_advance, __global int *err) {             \
        int gid = get_global_id(0);                                                                      \
        int yid = gid - rows * width;                                                                    \
        if (yid < rows * y_width) { /* no early return: every work-item reaches the advance's barrier */ \
            int r = yid < 0 ? gid / width : yid / y_width;                                               \
            int j = gather_source_row(r, indices, io, positions, has_indices, counters, co, has_counters, \
                                      batch_size, src_rows, err);                                        \
            if (yid >= 0) {                                                                              \
                y_out[yoo + yid] = j < 0 ? 0 : y[yo + j * y_width + (yid - r * y_width)];               \
            } else {                                                                                     \
                int f = gid - r * width;                                                                 \
                out[oo + gid] = j < 0 ? 0.0f : gather_transform((float) src[so + j * width + f], f, scale, \
                                                                sco, has_scale, shift, sho, has_shift);  \
            }                                                                                            \
        }                                                                                                \
        dendrite_advance_counters_by_last_group(has_advance, advance + ao, err + DENDRITE_ERROR_WORDS);  \
    }

DEFINE_GATHER_BATCH(gather_batch_f32, float)
DEFINE_GATHER_BATCH(gather_batch_u8, uchar)

/* Integer rows (labels) are copied unchanged. */
__kernel void gather_i32(__global const int *src, int so, int src_rows, int width,
                         __global const int *indices, int io, int positions, int has_indices,
                         __global const int *counters, int co, int has_counters, int batch_size, int rows,
                         __global int *out, int oo, __global int *err) {
    int gid = get_global_id(0);
    if (gid >= rows * width) {
        return;
    }
    int r = gid / width;
    int f = gid - r * width;
    int j = gather_source_row(r, indices, io, positions, has_indices, counters, co, has_counters, batch_size,
                              src_rows, err);
    out[oo + gid] = j < 0 ? 0 : src[so + j * width + f];
}

/*
 * Sort keys of the epoch shuffle, padded to a power of two: (Philox bits << 32) | index, so that sorting the
 * 64-bit keys orders by (unsigned bits, index) as the definition asks. Padding keys sort after every real
 * one: their bits are all ones and their index is at least n.
 */
__kernel void permutation_keys(__global ulong *keys, int n, int padded, uint seed_lo, uint seed_hi, int epoch,
                               int stream) {
    int i = get_global_id(0);
    if (i >= padded) {
        return;
    }
    uint bits = i < n ? dendrite_philox_bits(seed_lo, seed_hi, (uint) i, (uint) epoch, (uint) stream) : 0xFFFFFFFFu;
    keys[i] = ((ulong) bits << 32) | (ulong) (uint) i;
}

/* One compare-exchange of the bitonic network: ascending where (i & k) == 0. */
DENDRITE_DEVICE void bitonic_compare(__local ulong *tile, uint i, uint j, uint global_i, uint k) {
    ulong a = tile[i];
    ulong b = tile[i + j];
    bool ascending = (global_i & k) == 0;
    if ((a > b) == ascending) {
        tile[i] = b;
        tile[i + j] = a;
    }
}

/* Copies this work-group's block of 2 * local_size keys into local memory; returns the block's first index. */
DENDRITE_DEVICE uint load_block(__global const ulong *keys, __local ulong *tile) {
    uint l = get_local_size(0);
    uint lid = get_local_id(0);
    uint base = get_group_id(0) * 2 * l;
    tile[lid] = keys[base + lid];
    tile[lid + l] = keys[base + lid + l];
    barrier(CLK_LOCAL_MEM_FENCE);
    return base;
}

DENDRITE_DEVICE void store_block(__global ulong *keys, __local const ulong *tile, uint base) {
    uint l = get_local_size(0);
    uint lid = get_local_id(0);
    keys[base + lid] = tile[lid];
    keys[base + lid + l] = tile[lid + l];
}

/* Steps j = first_j, first_j / 2, ..., 1 of merge stage k on a block in local memory, one pair per work-item. */
DENDRITE_DEVICE void bitonic_steps(__local ulong *tile, uint base, uint k, uint first_j) {
    uint lid = get_local_id(0);
    for (uint j = first_j; j > 0; j >>= 1) {
        uint i = ((lid & ~(j - 1)) << 1) | (lid & (j - 1));
        bitonic_compare(tile, i, j, base + i, k);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/*
 * Sorts each block of 2 * local_size keys in local memory through every stage k <= 2 * local_size, each block
 * in the direction the global network gives it, so that the blocks form the bitonic sequences the global
 * merge stages expect.
 */
__kernel void bitonic_sort_local(__global ulong *keys, __local ulong *tile) {
    uint l = get_local_size(0);
    uint base = load_block(keys, tile);
    for (uint k = 2; k <= 2 * l; k <<= 1) {
        bitonic_steps(tile, base, k, k >> 1);
    }
    store_block(keys, tile, base);
}

/* One merge step (k, j) with j >= 2 * local_size of the host's loop: partners are too far apart for a block. */
__kernel void bitonic_merge_global(__global ulong *keys, uint k, uint j) {
    uint t = get_global_id(0);
    uint i = ((t & ~(j - 1)) << 1) | (t & (j - 1));
    ulong a = keys[i];
    ulong b = keys[i + j];
    bool ascending = (i & k) == 0;
    if ((a > b) == ascending) {
        keys[i] = b;
        keys[i + j] = a;
    }
}

/* The remaining steps j = local_size .. 1 of merge stage k, whose partners all lie within one block. */
__kernel void bitonic_merge_local(__global ulong *keys, uint k, __local ulong *tile) {
    uint base = load_block(keys, tile);
    bitonic_steps(tile, base, k, get_local_size(0));
    store_block(keys, tile, base);
}

/* out[i] = the index carried in the low word of the i-th sorted key. */
__kernel void permutation_write(__global const ulong *keys, int n, __global int *out, int oo) {
    int i = get_global_id(0);
    if (i < n) {
        out[oo + i] = (int) (uint) keys[i];
    }
}

/* counters[0] (steps completed) and counters[1] (batches completed this epoch) both advance by one. */
__kernel void advance_counters(__global int *counters, int co) {
    if (get_global_id(0) == 0) {
        counters[co] += 1;
        counters[co + 1] += 1;
    }
}
