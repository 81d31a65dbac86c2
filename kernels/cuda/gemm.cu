/*
 * gemm.cu - the CUDA instantiations of kernels/common/gemm_tiled.h, the twin of kernels/opencl/gemm.cl (read
 * gemm_tiled.h first: the arithmetic, the tiling and the split over k live there). CudaBackend runs these
 * instead of cuBLAS for the shapes where they measured faster, or when -Ddendrite.cuda.gemm=own.
 *
 *   gemm_<variant>_<ta><tb>   one tiled variant, one transpose combination (n: as stored, t: transposed);
 *                             blocks of the variant's shape, grid (column tiles, row tiles, k-splits)
 *   gemm_fold                 second pass of a product split over k: one thread per element of C
 *   gemm_fold_bias_activation the same, then a dense layer's bias and activation (CudaBackend.denseForward)
 *   gemm_fold_bias_softmax    the same for a softmax layer: one warp per row
 *   gemm_simple               one thread per element of C, for products too small to fill a tile
 *   gemm_rows                 one warp per row of C, for products of at most 32 columns (../common/gemm_rows.h)
 *   gemm_split_tf32           an operand's two TF32 parts, for cuBLAS's 3xTF32 products (CudaGemmOps)
 *
 * Launch geometry comes from dev.dendrite.backend.GemmVariant, as for OpenCL. Pointers arrive offset to their
 * slice (common.cuh); w, the work space of a split product, is null otherwise.
 */
#include "common.cuh"
#include "activations.h"
#include "gemm_rows.h"

#define DENDRITE_GEMM_VARIANT tile64
#include "gemm_tiled.h"
#define DENDRITE_GEMM_VARIANT large
#include "gemm_tiled.h"
#define DENDRITE_GEMM_VARIANT small
#include "gemm_tiled.h"

#define GEMM_KERNEL(NAME, V, TA, TB)                                                                           \
    DENDRITE_KERNEL void __launch_bounds__(DENDRITE_GEMM_THREADS(V))                                           \
    NAME(int m, int n, int k, float alpha, const float *a, const float *b, float beta, float *c, float *w) {  \
        dendrite_pdl_begin();                                                                                 \
        DENDRITE_LOCAL float a_tile[DENDRITE_GEMM_A_TILE(V)] DENDRITE_ALIGN16;                                \
        DENDRITE_LOCAL float b_tile[DENDRITE_GEMM_B_TILE(V)] DENDRITE_ALIGN16;                                \
        DENDRITE_GEMM_FN(V)(TA, TB, m, n, k, alpha, a, b, beta, c, w, a_tile, b_tile, 0, nullptr, 0, nullptr, 0, \
                            0, 0.0f, nullptr, dendrite_gemm_hw_grid());                                       \
    }

GEMM_KERNEL(gemm_tile64_nn, tile64, 0, 0)
GEMM_KERNEL(gemm_tile64_nt, tile64, 0, 1)
GEMM_KERNEL(gemm_tile64_tn, tile64, 1, 0)
GEMM_KERNEL(gemm_tile64_tt, tile64, 1, 1)
GEMM_KERNEL(gemm_large_nn, large, 0, 0)
GEMM_KERNEL(gemm_large_nt, large, 0, 1)
GEMM_KERNEL(gemm_large_tn, large, 1, 0)
GEMM_KERNEL(gemm_large_tt, large, 1, 1)
GEMM_KERNEL(gemm_small_nn, small, 0, 0)
GEMM_KERNEL(gemm_small_nt, small, 0, 1)
GEMM_KERNEL(gemm_small_tn, small, 1, 0)
GEMM_KERNEL(gemm_small_tt, small, 1, 1)

/* C[i] from the partial sums w[block * mn + i] of its k-blocks, i < mn (threads past the end do nothing). */
DENDRITE_KERNEL void gemm_fold(int mn, int blocks, float alpha, const float *w, float beta, float *c) {
    dendrite_pdl_begin();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < mn) {
        dendrite_gemm_fold_element(i, mn, blocks, alpha, w, beta, c);
    }
}

/*
 * gemm_fold fused with the layer's bias and activation (bias_activation_forward, activations.cu): a dense
 * layer's product split over k goes from its partial sums to z and y in one pass instead of two kernels, with
 * the same bits (the fold's sum in block order, then z = sum + bias[col], y = f(z)), and with a Dropout after the
 * layer y_dropped = dropout(y). y may alias z only for LINEAR; bias may be null.
 */
DENDRITE_KERNEL void gemm_fold_bias_activation(int mn, int blocks, const float *w, const float *bias, int cols,
                                               int act, float alpha, float *z, float *y, float *y_dropped,
                                               float drop_rate, unsigned int seed_lo, unsigned int seed_hi,
                                               int stream, const int *drop_counters) {
    dendrite_pdl_begin();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < mn) {
        dendrite_gemm_fold_element(i, mn, blocks, 1.0f, w, 0.0f, z);
        dendrite_bias_activation_element(z, bias, bias != nullptr, i, cols, act, alpha, y);
        if (drop_counters != nullptr) { /* the Dropout after the layer (activations.cu's bias_activation_forward) */
            dendrite_fused_dropout drop = dendrite_fused_dropout_of(drop_rate, seed_lo, seed_hi, stream,
                                                                    drop_counters);
            y_dropped[i] = dendrite_fused_drop(drop, y[i], i);
        }
    }
}

/*
 * Rounded to nearest TF32 (10 explicit mantissa bits, ties away from zero), what sm_80's cvt.rna.tf32.f32 gives,
 * written as bit arithmetic so that the sm_75 image builds too and the low bits are zero by construction. NaN stays
 * NaN (the addition could carry a NaN's payload into the sign); a finite value past TF32's largest becomes inf.
 */
__device__ __forceinline__ float dendrite_tf32(float x) {
    return isnan(x) ? x : __uint_as_float((__float_as_uint(x) + 0x1000u) & 0xFFFFE000u);
}

/*
 * An FP32 operand of a 3xTF32 product as two TF32 parts, big = tf32(x) and small = tf32(x - big) (x - big is exact
 * in FP32): small_A big_B + big_A small_B + big_A big_B is A B but for about 2^-22 of |A| |B|, FP32's own order.
 */
DENDRITE_KERNEL void gemm_split_tf32(const float *x, float *big, float *small, int n) {
    dendrite_pdl_begin();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float v = x[i];
        float b = dendrite_tf32(v);
        big[i] = b;
        small[i] = dendrite_tf32(v - b);
    }
}

/*
 * gemm_fold fused with a softmax output layer's bias and softmax (softmax_forward, activations.cu): one warp per
 * row folds the row's partial sums into z, then runs the same row body as softmax_forward. Same bits as the
 * two kernels.
 */
DENDRITE_KERNEL void gemm_fold_bias_softmax(int rows, int cols, int blocks, const float *w, const float *bias,
                                            float *z, float *y) {
    dendrite_pdl_begin();
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    int mn = rows * cols;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        for (int c = lane; c < cols; c += 32) {
            dendrite_gemm_fold_element(r * cols + c, mn, blocks, 1.0f, w, 0.0f, z);
        }
        __syncwarp();
        dendrite_softmax_row_warp(z + (size_t) r * cols, bias, cols, y + (size_t) r * cols, lane);
    }
}

/* x = column, so neighbours store neighbours. */
DENDRITE_KERNEL void gemm_simple(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                                 const float *b, float beta, float *c) {
    dendrite_pdl_begin();
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row < m && col < n) {
        dendrite_gemm_simple_element(trans_a, trans_b, m, n, k, alpha, a, b, beta, c, row, col);
    }
}

/*
 * C = alpha op(A) op(B) + beta C for n <= DENDRITE_ROWS_MAX_N (../common/gemm_rows.h): GemmVariant.ROWS's blocks
 * of 32 x 8 threads, a row of C per warp; the grid's rows of blocks step down C together (each block's warps meet
 * at its barriers), so a grid capped at 65535 rows still covers any m.
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_ROWS_THREADS)
gemm_rows(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, const float *b, float beta,
          float *c) {
    dendrite_pdl_begin();
    __shared__ float tiles[DENDRITE_ROWS_LOCAL];
    int lid = threadIdx.y * 32 + threadIdx.x;
    for (int first = blockIdx.y * DENDRITE_ROWS_PER_GROUP; first < m; first += gridDim.y * DENDRITE_ROWS_PER_GROUP) {
        int row = first + threadIdx.y;
        float v = dendrite_gemm_rows_element(trans_a, trans_b, m, n, k, alpha, a, b, beta, c, first, lid, tiles);
        if (row < m && threadIdx.x < n) {
            c[(size_t) row * n + threadIdx.x] = v;
        }
    }
}
