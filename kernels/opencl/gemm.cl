/*
 * gemm.cl - the OpenCL instantiations of kernels/common/gemm_tiled.h (read that first: the arithmetic, the
 * tiling and the split over k live there, shared with kernels/cuda/gemm.cu).
 *
 *   gemm_<variant>_<ta><tb>   one tiled variant, one transpose combination (n: as stored, t: transposed);
 *                             work-groups of the variant's shape, grid (column tiles, row tiles, k-splits)
 *   gemm_<variant>_dense      the same untransposed, ending in a dense layer's bias and activation
 *   gemm_<variant>_backward   A B^T, the input gradient of the layer above, ending in this layer's activation
 *                             backward and bias gradient
 *   gemm_<variant>_backward_pair  the same, and the layer above's weight gradient beside it in the same launch
 *   gemm_fold                 second pass of a product split over k: one work-item per element of C
 *   gemm_fold_bias_activation the same, then a dense layer's bias and activation (and its Dropout)
 *   gemm_simple               one work-item per element of C, for products too small to fill a tile
 *   gemm_rows                 32 work-items per row of C, for products of at most 32 columns (../common/gemm_rows.h)
 *
 * The host (OpenClBackend with dev.dendrite.backend.GemmVariant) picks the variant per shape and computes the
 * launch geometry. Every buffer is followed by its slice's element offset, except the work space w and the
 * tickets, which the backend owns and passes whole.
 */
#include "../common/dialect.h"
#include "../common/activations.h"
#include "fused_dropout.h"
#include "../common/gemm_rows.h"
#include "../common/errors.h"
#include "column_chunks.h"

#define DENDRITE_GEMM_VARIANT tile64
#include "../common/gemm_tiled.h"
#define DENDRITE_GEMM_VARIANT large
#include "../common/gemm_tiled.h"
#define DENDRITE_GEMM_VARIANT small
#include "../common/gemm_tiled.h"

#define GEMM_KERNEL(NAME, V, TA, TB)                                                                             \
    DENDRITE_KERNEL __attribute__((reqd_work_group_size(DENDRITE_GEMM_TX(V), DENDRITE_GEMM_TY(V), 1))) void NAME( \
        int m, int n, int k, float alpha, __global const float *a, int ao, __global const float *b, int bo,     \
        float beta, __global float *c, int co, __global float *w, int fold_last, __global int *tickets) {       \
        DENDRITE_LOCAL float a_tile[DENDRITE_GEMM_A_TILE(V)] DENDRITE_ALIGN16;                                  \
        DENDRITE_LOCAL float b_tile[DENDRITE_GEMM_B_TILE(V)] DENDRITE_ALIGN16;                                  \
        DENDRITE_GEMM_FN(V)(TA, TB, m, n, k, alpha, a + ao, b + bo, beta, c + co, w, a_tile, b_tile, fold_last, \
                            tickets, 0, w, 0, 0, 0.0f, c + co, dendrite_gemm_hw_grid());                        \
    }

/*
 * A dense layer's forward pass as one launch: z = x w (x rows x k, w k x n, both as stored), then z += bias and
 * y = f(z) as its product ends (gemm_tiled.h's `dense`), where two launches would be the product and
 * activations.cl's bias_activation_forward; a split product needs fold_last. The same bits either way.
 */
#define GEMM_DENSE_KERNEL(NAME, V)                                                                               \
    DENDRITE_KERNEL __attribute__((reqd_work_group_size(DENDRITE_GEMM_TX(V), DENDRITE_GEMM_TY(V), 1))) void NAME( \
        int m, int n, int k, __global const float *x, int xo, __global const float *w_layer, int wo,           \
        __global float *z, int zo, __global float *w, int fold_last, __global int *tickets,                     \
        __global const float *bias, int bo, int has_bias, int act, float act_alpha, __global float *y, int yo) { \
        DENDRITE_LOCAL float a_tile[DENDRITE_GEMM_A_TILE(V)] DENDRITE_ALIGN16;                                  \
        DENDRITE_LOCAL float b_tile[DENDRITE_GEMM_B_TILE(V)] DENDRITE_ALIGN16;                                  \
        DENDRITE_GEMM_FN(V)(0, 0, m, n, k, 1.0f, x + xo, w_layer + wo, 0.0f, z + zo, w, a_tile, b_tile,         \
                            fold_last, tickets, 1, bias + bo, has_bias, act, act_alpha, y + yo,                 \
                            dendrite_gemm_hw_grid());                                                           \
    }

/*
 * The end of gemm_<variant>_backward, after its product dy = dz_next w_next^T went into dz: activations.cl's
 * activation_backward over the group's tile, dz = dy * f'(z) (z is y where f's derivative reads its output), and
 * the bias gradient's chunk partials (rows_per_chunk rows of a column each, Kahan, in row order: the same work-item
 * and order as activation_backward's, so the same bits), which the kernel's last group folds into dbias
 * (column_chunks.h). The tile's rows start at a multiple of rows_per_chunk, which divides BM. `stored` says whether
 * this group wrote its tile (gemm_tiled.h), `g` where the tile is; every work-item of every group calls this (its
 * barriers).
 */
DENDRITE_DEVICE void dendrite_gemm_backward_end(int stored, dendrite_gemm_grid g, int bm, int bn, int m, int n,
                                                __global const float *z, int act, float alpha, __global float *dz,
                                                int rows_per_chunk, int has_bias, __global float *partial,
                                                __global float *dbias, __global int *ticket, __local int *last) {
    int lid = dendrite_local_id(0) + dendrite_local_id(1) * (int) get_local_size(0);
    int size = (int) (get_local_size(0) * get_local_size(1));
    int row0 = g.y * bm;
    int col0 = g.x * bn;
    dendrite_barrier_global(); /* the tile's product, written across the group */
    /* Neighbouring work-items take neighbouring columns of a chunk: coalesced, as activation_backward's grid. */
    for (int p = lid; stored && p < (bm / rows_per_chunk) * bn; p += size) {
        int c = col0 + p % bn;
        int first = row0 + (p / bn) * rows_per_chunk;
        if (c < n && first < m) {
            int end = min(m, first + rows_per_chunk);
            dendrite_kahan sum = dendrite_kahan_zero();
            for (int r = first; r < end; r++) {
                int i = r * n + c;
                float d = dz[i] * dendrite_activation_derivative(act, alpha, z[i]);
                dz[i] = d;
                sum = dendrite_kahan_add(sum, d);
            }
            if (has_bias) {
                partial[(first / rows_per_chunk) * n + c] = sum.sum;
            }
        }
    }
    dendrite_column_fold_by_last_group(has_bias, partial, (m + rows_per_chunk - 1) / rows_per_chunk, n, n, 1.0f,
                                       dbias, ticket, last);
}

/*
 * The backward pass of a dense layer under another one, as one launch: dz = (dz_next w_next^T) * f'(z), with w_next
 * the layer above's weights (n x k as stored), and the bias gradient's column sums of dz into dbias (with has_bias),
 * where three launches would be the product, activations.cl's activation_backward and the fold of its partials (two,
 * with the fold done by its last group). A split product needs fold_last. The same bits either way.
 */
#define GEMM_BACKWARD_KERNEL(NAME, V)                                                                            \
    DENDRITE_KERNEL __attribute__((reqd_work_group_size(DENDRITE_GEMM_TX(V), DENDRITE_GEMM_TY(V), 1))) void NAME( \
        int m, int n, int k, __global const float *dz_next, int dno, __global const float *w_next, int wno,    \
        __global float *dz, int dzo, __global float *w, int fold_last, __global int *tickets,                   \
        __global const float *z, int zo, int act, float act_alpha, int rows_per_chunk, int has_bias,            \
        __global float *partial, int po, __global float *dbias, int dbo, __global int *control) {               \
        DENDRITE_LOCAL float a_tile[DENDRITE_GEMM_A_TILE(V)] DENDRITE_ALIGN16;                                  \
        DENDRITE_LOCAL float b_tile[DENDRITE_GEMM_B_TILE(V)] DENDRITE_ALIGN16;                                  \
        __local int last;                                                                                       \
        dendrite_gemm_grid g = dendrite_gemm_hw_grid();                                                         \
        int stored = DENDRITE_GEMM_FN(V)(0, 1, m, n, k, 1.0f, dz_next + dno, w_next + wno, 0.0f, dz + dzo, w,   \
                                         a_tile, b_tile, fold_last, tickets, 0, w, 0, 0, 0.0f, dz + dzo, g);    \
        dendrite_gemm_backward_end(stored, g, DENDRITE_GEMM_P(V, BM), DENDRITE_GEMM_P(V, BN), m, n, z + zo, act, \
                                   act_alpha, dz + dzo, rows_per_chunk, has_bias, partial + po, dbias + dbo,    \
                                   control + DENDRITE_ERROR_WORDS, &last);                                      \
    }

/*
 * gemm_<variant>_backward with the upper layer's weight gradient in the same launch: dw = x_up^T dz_next, x_up (m x n
 * as stored) the upper layer's input, this layer's output; its product needs dz_next only, like the input gradient,
 * so the two run side by side, where two launches would run them one after the other. A grid of groups in dimension
 * 0: the first up_x * up_y compute dw's tiles (one k-block pass, never split: the host checks), the rest are
 * gemm_<variant>_backward's grid, groups_x * groups_y * groups_z in its order. One call of the body with each group's
 * arguments, not one per product in a branch: its barriers stay outside any condition (PoCL). The same bits.
 */
#define GEMM_BACKWARD_PAIR_KERNEL(NAME, V)                                                                       \
    DENDRITE_KERNEL __attribute__((reqd_work_group_size(DENDRITE_GEMM_TX(V), DENDRITE_GEMM_TY(V), 1))) void NAME( \
        int m, int n, int k, __global const float *dz_next, int dno, __global const float *w_next, int wno,    \
        __global float *dz, int dzo, __global float *w, int fold_last, __global int *tickets,                   \
        __global const float *z, int zo, int act, float act_alpha, int rows_per_chunk, int has_bias,            \
        __global float *partial, int po, __global float *dbias, int dbo, __global int *control,                 \
        __global const float *x_up, int xuo, __global float *dw, int dwo, int groups_x, int groups_y,           \
        int groups_z, int up_x, int up_y) {                                                                     \
        DENDRITE_LOCAL float a_tile[DENDRITE_GEMM_A_TILE(V)] DENDRITE_ALIGN16;                                  \
        DENDRITE_LOCAL float b_tile[DENDRITE_GEMM_B_TILE(V)] DENDRITE_ALIGN16;                                  \
        __local int last;                                                                                       \
        int group = dendrite_group_id(0);                                                                       \
        int up = group < up_x * up_y;                                                                           \
        int own = up ? group : group - up_x * up_y;                                                             \
        dendrite_gemm_grid g;                                                                                   \
        g.nx = up ? up_x : groups_x;                                                                            \
        g.ny = up ? up_y : groups_y;                                                                            \
        g.nz = up ? 1 : groups_z;                                                                               \
        g.x = own % g.nx;                                                                                       \
        g.y = (own / g.nx) % g.ny;                                                                              \
        g.z = own / (g.nx * g.ny);                                                                              \
        int stored = DENDRITE_GEMM_FN(V)(up, !up, up ? n : m, up ? k : n, up ? m : k, 1.0f,                      \
                                         up ? x_up + xuo : dz_next + dno, up ? dz_next + dno : w_next + wno,    \
                                         0.0f, up ? dw + dwo : dz + dzo, w, a_tile, b_tile, up ? 0 : fold_last, \
                                         tickets, 0, w, 0, 0, 0.0f, dz + dzo, g);                               \
        dendrite_gemm_backward_end(stored && !up, g, DENDRITE_GEMM_P(V, BM), DENDRITE_GEMM_P(V, BN), m, n,       \
                                   z + zo, act, act_alpha, dz + dzo, rows_per_chunk, has_bias, partial + po,    \
                                   dbias + dbo, control + DENDRITE_ERROR_WORDS, &last);                         \
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
GEMM_DENSE_KERNEL(gemm_tile64_dense, tile64)
GEMM_DENSE_KERNEL(gemm_large_dense, large)
GEMM_DENSE_KERNEL(gemm_small_dense, small)
GEMM_BACKWARD_KERNEL(gemm_tile64_backward, tile64)
GEMM_BACKWARD_KERNEL(gemm_large_backward, large)
GEMM_BACKWARD_KERNEL(gemm_small_backward, small)
GEMM_BACKWARD_PAIR_KERNEL(gemm_tile64_backward_pair, tile64)
GEMM_BACKWARD_PAIR_KERNEL(gemm_large_backward_pair, large)
GEMM_BACKWARD_PAIR_KERNEL(gemm_small_backward_pair, small)

/* C[i] from the partial sums w[block * mn + i] of its k-blocks, i < mn (work-items past the end do nothing). */
DENDRITE_KERNEL void gemm_fold(int mn, int blocks, float alpha, __global const float *w, float beta,
                               __global float *c, int co) {
    int i = get_global_id(0);
    if (i < mn) {
        dendrite_gemm_fold_element(i, mn, blocks, alpha, w, beta, c + co);
    }
}

/*
 * gemm_fold fused with a dense layer's bias and activation (activations.cl's bias_activation_forward; CUDA's twin in
 * gemm.cu): a product split over k goes from its partial sums to z and y in one pass instead of two kernels, the same
 * bits, and with a Dropout after the layer y_dropped = dropout(y) (fused_dropout.h). bias is read only with has_bias.
 */
DENDRITE_KERNEL void gemm_fold_bias_activation(int mn, int blocks, __global const float *w, __global const float *bias,
                                               int bo, int has_bias, int cols, int act, float alpha, __global float *z,
                                               int zo, __global float *y, int yo, __global float *y_dropped, int ydo,
                                               DENDRITE_DROP_ARGS) {
    int i = get_global_id(0);
    if (i < mn) {
        dendrite_gemm_fold_element(i, mn, blocks, 1.0f, w, 0.0f, z + zo);
        dendrite_bias_activation_element(z + zo, bias + bo, has_bias, i, cols, act, alpha, y + yo);
        if (has_drop) {
            y_dropped[ydo + i] = DENDRITE_DROP(y[yo + i], i);
        }
    }
}

/* Dimension 0 = column, so neighbours store neighbours. */
DENDRITE_KERNEL void gemm_simple(int trans_a, int trans_b, int m, int n, int k, float alpha, __global const float *a,
                                 int ao, __global const float *b, int bo, float beta, __global float *c, int co) {
    int col = get_global_id(0);
    int row = get_global_id(1);
    if (row < m && col < n) {
        dendrite_gemm_simple_element(trans_a, trans_b, m, n, k, alpha, a + ao, b + bo, beta, c + co, row, col);
    }
}

/*
 * C = alpha op(A) op(B) + beta C for n <= DENDRITE_ROWS_MAX_N (../common/gemm_rows.h; CUDA's twin in gemm.cu):
 * GemmVariant.ROWS's groups of 32 x 8, a row of C per 32 work-items; the grid's rows of groups step down C together
 * (each group's work-items meet at its barriers).
 */
DENDRITE_KERNEL __attribute__((reqd_work_group_size(32, DENDRITE_ROWS_PER_GROUP, 1))) void gemm_rows(
        int trans_a, int trans_b, int m, int n, int k, float alpha, __global const float *a, int ao,
        __global const float *b, int bo, float beta, __global float *c, int co) {
    DENDRITE_LOCAL float tiles[DENDRITE_ROWS_LOCAL];
    int col = get_local_id(0);
    int lid = get_local_id(1) * 32 + col;
    for (int first = get_group_id(1) * DENDRITE_ROWS_PER_GROUP; first < m;
         first += get_num_groups(1) * DENDRITE_ROWS_PER_GROUP) {
        int row = first + get_local_id(1);
        float v = dendrite_gemm_rows_element(trans_a, trans_b, m, n, k, alpha, a + ao, b + bo, beta, c + co, first,
                                             lid, tiles);
        if (row < m && col < n) {
            c[co + row * n + col] = v;
        }
    }
}
