/*
 * gemm_rows.h - products with at most 32 columns (an output layer's 10 classes) by groups of 256 work-items, one
 * row of C per 32 of them (a CUDA warp) and one column per work-item: gemm_rows in kernels/cuda/gemm.cu and
 * kernels/opencl/gemm.cl (GemmVariant.ROWS), and the softmax layer that computes its own product inside its loss
 * kernel (softmax_forward_xent_rows in kernels/cuda/losses.cu and kernels/opencl/losses.cl).
 *
 * Why: at a batch of 128, cuBLAS gives C = x W (128 x 10, k = 512) a few blocks that each walk all of k, its split
 * over k needs a second launch to fold, and the tiled variants leave most of a 64-wide tile empty (4.2-8.1 us on an
 * H200, 2026-12-04, where a launch costs 2-4 us). A row of C is only n <= 32 sums, each a chain of k multiply-adds:
 * the group stages the k-rows of W and of its 8 rows of x in local memory, so the chains read nothing else, and a
 * warp that also owns the row's softmax can take z straight on to the loss.
 *
 * Arithmetic: each element exactly as gemm_tiled.h's (and CpuGemm's): k in blocks of DENDRITE_GEMM_K_BLOCK, a
 * block's products summed in increasing k from zero with fused multiply-adds, the blocks folded into C in order.
 * Where n <= DENDRITE_ROWS_TWO_BLOCKS_N, work-items n..2n-1 of a row sum the odd k-block of a staged pair beside
 * 0..n-1's even one (the chains are what takes time), and work-item c folds both in order: the same bits.
 *
 * Local memory, DENDRITE_ROWS_LOCAL floats (under the 48 KiB a kernel may declare): the 8 rows of op(A) (a pair of
 * k-blocks each, one float of padding between the two), then the k-rows of op(B), the second k-block one row of n
 * further on; the padding puts the two halves' reads in different banks.
 */
#ifndef DENDRITE_GEMM_ROWS_H
#define DENDRITE_GEMM_ROWS_H

#include "dialect.h"
#include "gemm_tiled.h" /* its shared part: DENDRITE_GEMM_K_BLOCK, the element macros, dendrite_gemm_start */

/* The widest C (columns) these kernels take (GemmVariant.ROWS's tile width). */
#define DENDRITE_ROWS_MAX_N 32
/* The widest C whose k-blocks are summed two at a time (2 n work-items per row). */
#define DENDRITE_ROWS_TWO_BLOCKS_N 15
/* Rows of C per group of 256 (GemmVariant.ROWS's tile height): the geometry of CUDA's warp-per-row loss kernels. */
#define DENDRITE_ROWS_PER_GROUP 8
#define DENDRITE_ROWS_THREADS (32 * DENDRITE_ROWS_PER_GROUP)
/* Pairs of k-blocks: 8 rows of 513 floats and 513 k-rows of up to 15; single k-blocks: 8 x 256 and 256 x 32. */
#define DENDRITE_ROWS_PAIR_FLOATS                                                                                \
    ((DENDRITE_ROWS_PER_GROUP + DENDRITE_ROWS_TWO_BLOCKS_N) * (2 * DENDRITE_GEMM_K_BLOCK + 1))
#define DENDRITE_ROWS_SINGLE_FLOATS ((DENDRITE_ROWS_PER_GROUP + DENDRITE_ROWS_MAX_N) * DENDRITE_GEMM_K_BLOCK)
#define DENDRITE_ROWS_LOCAL                                                                                      \
    (DENDRITE_ROWS_PAIR_FLOATS > DENDRITE_ROWS_SINGLE_FLOATS ? DENDRITE_ROWS_PAIR_FLOATS : DENDRITE_ROWS_SINGLE_FLOATS)

/*
 * Rows first .. first + 7 of C = alpha op(A) op(B) + beta C (m x n, n <= DENDRITE_ROWS_MAX_N), row first + lid / 32
 * to the 32 work-items lid of the group: work-item c < n of a row returns element (row, c) (not stored: the caller
 * does that, or goes on with it); the others, and rows past m, return 0. Every work-item of the group (lid 0..255)
 * must call this together: it stages through local memory between barriers.
 */
DENDRITE_DEVICE float dendrite_gemm_rows_element(const int ta, const int tb, const int m, const int n, const int k,
                                                 const float alpha, DENDRITE_GLOBAL const float *a,
                                                 DENDRITE_GLOBAL const float *b, const float beta,
                                                 DENDRITE_GLOBAL const float *c, const int first, const int lid,
                                                 DENDRITE_LOCAL_PTR float *tiles) {
    const int lane = lid & 31;
    const int row_of_group = lid >> 5;
    const int row = first + row_of_group;
    const int pairs = n <= DENDRITE_ROWS_TWO_BLOCKS_N ? 2 : 1; /* k-blocks staged and summed at once */
    const int x_stride = pairs * DENDRITE_GEMM_K_BLOCK + pairs - 1;
    DENDRITE_LOCAL_PTR float *ws = tiles + DENDRITE_ROWS_PER_GROUP * x_stride;
    const int part = lane / n; /* which k-block of a staged pair this work-item sums (past 2n: none) */
    const int col = lane - part * n;
    const int mine = row < m && lane < n;
    float total = mine ? dendrite_gemm_start(beta, c + row * n + lane) : 0.0f;
    for (int k0 = 0; k0 < k; k0 += pairs * DENDRITE_GEMM_K_BLOCK) {
        const int span = k - k0 < pairs * DENDRITE_GEMM_K_BLOCK ? k - k0 : pairs * DENDRITE_GEMM_K_BLOCK;
        dendrite_barrier(); /* the last stage's reads (and folds) are done */
        /* The k-rows of op(B), walked along the stored rows: across the n columns, or (transposed) along k. */
        for (int e = lid; e < span * n; e += DENDRITE_ROWS_THREADS) {
            const int kk = tb ? e % span : e / n;
            const int cc = tb ? e / span : e - kk * n;
            ws[(kk + kk / DENDRITE_GEMM_K_BLOCK) * n + cc] = DENDRITE_GEMM_B_AT(b, tb, n, k, k0 + kk, cc);
        }
        /* The group's rows of op(A), likewise: along k, or (transposed) across the 8 rows. */
        for (int e = lid; e < DENDRITE_ROWS_PER_GROUP * span; e += DENDRITE_ROWS_THREADS) {
            const int rr = ta ? e % DENDRITE_ROWS_PER_GROUP : e / span;
            const int kk = ta ? e / DENDRITE_ROWS_PER_GROUP : e - rr * span;
            tiles[rr * x_stride + kk + kk / DENDRITE_GEMM_K_BLOCK] =
                    first + rr < m ? DENDRITE_GEMM_A_AT(a, ta, m, k, first + rr, k0 + kk) : 0.0f;
        }
        dendrite_barrier();
        float s = 0.0f;
        const int from = part * DENDRITE_GEMM_K_BLOCK;
        if (part < pairs && from < span) {
            const int len = (span < from + DENDRITE_GEMM_K_BLOCK ? span : from + DENDRITE_GEMM_K_BLOCK) - from;
            DENDRITE_LOCAL_PTR const float *xb = tiles + row_of_group * x_stride + from + part;
            DENDRITE_LOCAL_PTR const float *wb = ws + (from + part) * n + col;
#pragma unroll 8
            for (int kk = 0; kk < len; kk++) {
                s = dendrite_fmaf(xb[kk], wb[kk * n], s);
            }
        }
        dendrite_barrier(); /* every chain has read the stage: its place takes the partial sums */
        tiles[lid] = s;
        dendrite_barrier();
        if (mine) { /* fold the staged k-blocks in order, as every variant does */
            for (int h = 0; h < pairs && k0 + h * DENDRITE_GEMM_K_BLOCK < k; h++) {
                total = dendrite_fmaf(alpha, tiles[(lid - lane) + h * n + lane], total);
            }
        }
    }
    return mine ? (k == 0 ? dendrite_gemm_empty(beta, total) : total) : 0.0f;
}

#endif /* DENDRITE_GEMM_ROWS_H */
