/*
 * common.cuh - what every CUDA kernel family shares and OpenCL does not: warp and block reductions, the
 * deterministic "last block adds up" pattern for the loss statistics, and the control block layout.
 *
 * The per-element math (Philox, activations, losses, optimizer formulas, Kahan sums, the device error codes)
 * is NOT here: it lives once in kernels/common/*.h and is shared with the OpenCL kernels.
 *
 * Conventions of every kernel in kernels/cuda (the Java side, CudaBackend, relies on them):
 *   - names are extern "C" so cuModuleGetFunction finds them unmangled;
 *   - pointers arrive already offset to their slice's first element; an optional input is a null pointer;
 *   - anything that changes from step to step (batch index, step count, learning rate) is read from device
 *     memory, never passed by value, so that a captured CUDA graph replays correctly;
 *   - element loops are grid-stride loops over unsigned indices (a slice holds < 2^31 elements);
 *   - no float atomics: every sum is reduced in a fixed order, so the same inputs give the same bits;
 *   - the first statement is dendrite_pdl_begin() (below): on Hopper a kernel may be launched while the one before
 *     it still runs, and must wait for it before touching global memory.
 */
#ifndef DENDRITE_CUDA_COMMON_CUH
#define DENDRITE_CUDA_COMMON_CUH

#include "dialect.h"
#include "sums.h"
#include "errors.h"
#include "dropout.h"
#include "counters.h"

/* DENDRITE_KERNEL (extern "C" __global__) comes from dialect.h, which the shared GEMM body uses too. */

/* Column-tile kernels (column sums, fused bias gradient, batch norm) run 32 x DENDRITE_TILE_ROWS threads:
 * threadIdx.x walks 32 adjacent columns (one coalesced 128-byte row segment per warp), threadIdx.y strides
 * over the rows. One block owns its columns over all rows, so no second pass is needed. */
#define DENDRITE_TILE_COLS 32
#define DENDRITE_TILE_ROWS 32
#define DENDRITE_TILE_THREADS (DENDRITE_TILE_COLS * DENDRITE_TILE_ROWS)

/* Largest grid of the kernels that finish with dendrite_finish_stats (their partials live in the control
 * block). The host clamps those grids to this; grid-stride loops cover the rest. */
#define DENDRITE_MAX_STAT_BLOCKS 1024

/*
 * The control block, one small device allocation per backend (CudaBackend.CONTROL_* mirror these offsets,
 * in 4-byte words):
 *   [0, 4)      the error block of kernels/common/errors.h
 *   [4]         the ticket counter of dendrite_finish_stats (always 0 between kernels)
 *   [5]         the ticket counter of dendrite_advance_counters_when_last (always 0 between kernels)
 *   [8, 8 + 2 * DENDRITE_MAX_STAT_BLOCKS)  per-block partials (a, b)
 */
#define DENDRITE_CONTROL_TICKET 4
#define DENDRITE_CONTROL_COUNTER_TICKET 5
#define DENDRITE_CONTROL_PARTIALS 8
#define DENDRITE_CONTROL_WORDS (DENDRITE_CONTROL_PARTIALS + 2 * DENDRITE_MAX_STAT_BLOCKS)

/* ------------------------------------------------------------------ programmatic dependent launch */

/*
 * The first statement of every kernel (CudaPdlTest checks it in the built PTX). On Hopper and newer the backend launches
 * kernels with programmaticStreamSerialization (CudaLaunchEx, native/launch), so a kernel's blocks may be placed
 * while the kernel before it on the stream still runs: its launch latency hides under that kernel's tail.
 *
 * - griddepcontrol.wait holds every thread until the grids this one depends on have finished and their writes
 *   are visible. Nothing may touch global memory before it: not a read (the input may not be written yet) and not
 *   a write (the kernel before may still read it). For a launch without the attribute it returns at once.
 * - griddepcontrol.launch_dependents then lets the next kernel launch as early as it can. That kernel's own wait
 *   still holds it until this whole grid has finished, so triggering at the top is always safe; and the trigger
 *   counts only once every block of this grid has issued it, so the next kernel's waiting blocks take only the
 *   room this grid's last wave leaves.
 *
 * Before sm_90 (the fatbin's sm_75 image) the instructions do not exist and the backend never asks for PDL.
 */
__device__ __forceinline__ void dendrite_pdl_begin() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/* ------------------------------------------------------------------ warp and block reductions */

__device__ __forceinline__ float dendrite_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

__device__ __forceinline__ float dendrite_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    }
    return v;
}

/*
 * Arg-max across a warp: every lane holds (value, index) of its own first maximum; the result is the largest
 * value and, among equal values, the smallest index, i.e. the first maximum of the whole row as the CPU
 * reference scans it. Lanes without any element hold (-inf, INT_MAX).
 */
__device__ __forceinline__ void dendrite_warp_argmax(float &v, int &i) {
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, v, o);
        int oi = __shfl_xor_sync(0xffffffffu, i, o);
        if (ov > v || (ov == v && oi < i)) {
            v = ov;
            i = oi;
        }
    }
}

/*
 * Sums a and b over the whole block (blockDim.x a multiple of 32, at most 1024, one-dimensional); the totals
 * are valid in thread 0 only. Deterministic: a fixed butterfly inside each warp, then warp 0 adds the warp
 * totals in order.
 */
__device__ __forceinline__ void dendrite_block_sum2(float &a, float &b) {
    __shared__ float sa[32];
    __shared__ float sb[32];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    a = dendrite_warp_sum(a);
    b = dendrite_warp_sum(b);
    __syncthreads(); /* the arrays may still be read by a previous call */
    if (lane == 0) {
        sa[warp] = a;
        sb[warp] = b;
    }
    __syncthreads();
    if (warp == 0) {
        int warps = (blockDim.x + 31) >> 5;
        a = lane < warps ? sa[lane] : 0.0f;
        b = lane < warps ? sb[lane] : 0.0f;
        a = dendrite_warp_sum(a);
        b = dendrite_warp_sum(b);
    }
}

/*
 * The block totals of every thread's own Kahan sums ka and kb (the tree above adds the threads' sums plainly),
 * valid in thread 0 only: the one way a one-block kernel (clip by norm, Lamb, Adafactor, the loss statistics)
 * turns its per-thread sums into the block's.
 */
__device__ __forceinline__ float2 dendrite_block_kahan_sum2(dendrite_kahan ka, dendrite_kahan kb) {
    float a = ka.sum;
    float b = kb.sum;
    dendrite_block_sum2(a, b);
    return make_float2(a, b);
}

/* The same for a single sum (the tree's second lane carries zeros). */
__device__ __forceinline__ float dendrite_block_kahan_sum(dendrite_kahan k) {
    return dendrite_block_kahan_sum2(k, dendrite_kahan_zero()).x;
}

/*
 * Column-tile reduction: thread (x, y) holds a partial sum v of column x over rows y, y + blockDim.y, ...;
 * returns the column total to the threads with threadIdx.y == 0 (others get garbage). blockDim.y is a power
 * of two, at most DENDRITE_TILE_ROWS. The tree is fixed, so the result is deterministic. Ends with a barrier,
 * so it may be called repeatedly.
 */
__device__ __forceinline__ float dendrite_tile_column_sum(float v) {
    __shared__ float tile[DENDRITE_TILE_ROWS][DENDRITE_TILE_COLS + 1];
    tile[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.y >> 1; s > 0; s >>= 1) {
        if (threadIdx.y < s) {
            tile[threadIdx.y][threadIdx.x] += tile[threadIdx.y + s][threadIdx.x];
        }
        __syncthreads();
    }
    float total = tile[0][threadIdx.x];
    __syncthreads();
    return total;
}

/*
 * The end of a kernel that adds a pair of sums (a, b) into stats: every block stores its block total, and the
 * last block to finish adds all partials in block order and applies
 *   stats[0] += ca * A + cb * B;   stats[1] += cc * B
 * (terms with a zero coefficient are dropped, so an unused overflowed sum cannot turn into NaN). One launch,
 * no float atomics, the same bits every run. gridDim.x must be at most DENDRITE_MAX_STAT_BLOCKS; control is
 * the control block. Every thread of every block must call it (it contains barriers).
 */
__device__ __forceinline__ void dendrite_finish_stats(float a, float b, float ca, float cb, float cc,
                                                      float *stats, int *control) {
    __shared__ bool last;
    float *partials = (float *) (control + DENDRITE_CONTROL_PARTIALS);
    unsigned int *ticket = (unsigned int *) (control + DENDRITE_CONTROL_TICKET);
    dendrite_block_sum2(a, b);
    if (threadIdx.x == 0) {
        partials[2 * blockIdx.x] = a;
        partials[2 * blockIdx.x + 1] = b;
        __threadfence(); /* publish the partial before taking a ticket */
        unsigned int t = atomicAdd(ticket, 1u);
        last = t == gridDim.x - 1;
    }
    __syncthreads();
    if (!last) {
        return;
    }
    __threadfence(); /* see every other block's partial */
    dendrite_kahan ka = dendrite_kahan_zero();
    dendrite_kahan kb = dendrite_kahan_zero();
    for (unsigned int i = threadIdx.x; i < gridDim.x; i += blockDim.x) {
        ka = dendrite_kahan_add(ka, __ldcg(&partials[2 * i]));
        kb = dendrite_kahan_add(kb, __ldcg(&partials[2 * i + 1]));
    }
    float2 t = dendrite_block_kahan_sum2(ka, kb);
    float ta = t.x;
    float tb = t.y;
    if (threadIdx.x == 0) {
        float loss = (ca != 0.0f ? ca * ta : 0.0f) + (cb != 0.0f ? cb * tb : 0.0f);
        stats[0] += loss;
        if (cc != 0.0f) {
            stats[1] += cc * tb;
        }
        *ticket = 0u; /* ready for the next kernel (stream order makes this visible to it) */
    }
}

/*
 * The end of an optimizer kernel that also ends the training step (Backend.updateThenAdvanceCounters): the last
 * block advances the counters (common/counters.h), with its ticket in the control block. Only a barrier when
 * counters is null. Every thread of every block must call it (it contains a barrier).
 */
__device__ __forceinline__ void dendrite_advance_counters_when_last(int *counters, int *control) {
    dendrite_advance_counters_by_last_group(counters != nullptr, counters,
                                            control + DENDRITE_CONTROL_COUNTER_TICKET);
}

/* ------------------------------------------------------------------ small helpers */

/* Index of the first element of this thread in a 1-D grid-stride loop, and the stride. */
#define DENDRITE_GRID_START (blockIdx.x * blockDim.x + threadIdx.x)
#define DENDRITE_GRID_STRIDE (gridDim.x * blockDim.x)

/*
 * Row r of a softmax forward, by one warp (lane = threadIdx.x & 31): the bias (may be null) added into z, then
 * y = exp(z - max) / sum. One body for softmax_forward (activations.cu) and gemm_fold_bias_softmax (gemm.cu), so
 * the two give the same bits. (common/activations.h's dendrite_softmax_row is the one-thread row of the losses.)
 */
__device__ __forceinline__ void dendrite_softmax_row_warp(float *zr, const float *bias, int cols, float *yr,
                                                          int lane) {
    float m = -INFINITY;
    for (int c = lane; c < cols; c += 32) {
        float v = zr[c];
        if (bias != nullptr) {
            v += bias[c];
            zr[c] = v;
        }
        m = fmaxf(m, v);
    }
    m = dendrite_warp_max(m);
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        float e = expf(zr[c] - m);
        yr[c] = e;
        s += e;
    }
    s = dendrite_warp_sum(s);
    for (int c = lane; c < cols; c += 32) {
        yr[c] = yr[c] / s;
    }
}

/*
 * The Dropout layer after a kernel's own layer, run inside that kernel (a batch norm's, a dense layer's bias and
 * activation): its rate, seed, Philox stream and step (counters[0]); off when the kernel was given no counters. Each
 * such kernel takes (drop_rate, seed_lo, seed_hi, stream, drop_counters) as its last arguments.
 */
struct dendrite_fused_dropout {
    float rate;
    unsigned int seed_lo, seed_hi, stream, step;
    bool on;
};

__device__ __forceinline__ dendrite_fused_dropout dendrite_fused_dropout_of(float rate, unsigned int seed_lo,
                                                                             unsigned int seed_hi, int stream,
                                                                             const int *counters) {
    dendrite_fused_dropout d;
    d.rate = rate;
    d.seed_lo = seed_lo;
    d.seed_hi = seed_hi;
    d.stream = (unsigned int) stream;
    d.on = counters != nullptr;
    d.step = d.on ? (unsigned int) counters[0] : 0u;
    return d;
}

/* Element i of the batch through the dropout (../common/dropout.h); unchanged when it is off. */
__device__ __forceinline__ float dendrite_fused_drop(dendrite_fused_dropout d, float v, size_t i) {
    return d.on ? dendrite_dropout_element(v, (unsigned int) i, d.rate, d.seed_lo, d.seed_hi, d.step, d.stream) : v;
}

#endif /* DENDRITE_CUDA_COMMON_CUH */
