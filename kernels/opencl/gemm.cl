/*
 * gemm.cl - single-precision GEMM, C = alpha * op(A) * op(B) + beta * C, row-major, for all four transpose
 * combinations. With beta == 0 the old C is never read, so NaN or garbage in it cannot leak into the result.
 *
 * gemm_<ta><tb>: 64 x 64 tiles of C per 16 x 16 work-group, each work-item accumulating a 4 x 4 block in
 * registers; the k dimension advances 16 at a time through local-memory tiles of op(A) and op(B). Every
 * global load is coalesced whatever the transposition: the loop that fills a tile walks the dimension that
 * is contiguous in memory. Work-item (tx, ty) owns rows ty + 16 i and columns tx + 16 j of the tile, so its
 * local reads are broadcasts or consecutive and its stores to C are coalesced. Edges are handled by loading
 * zeros outside the matrices and guarding the stores, so any m, n, k is correct.
 *
 * gemm_simple: one work-item per element of C; for shapes too small to fill a tile, where launch cost
 * dominates anyway.
 */

#define TILE 64        /* rows and columns of C per work-group */
#define TILE_K 16      /* depth of one local-memory step */
#define THREADS 16     /* work-items per dimension of a work-group */
#define PER_THREAD 4   /* TILE / THREADS: the register block is PER_THREAD x PER_THREAD */
#define PAD 1          /* keeps the columns of a tile in different local-memory banks */

/* Element (row, kk) of op(A), an m x k matrix: A is stored m x k, or k x m when transposed. */
#define A_AT(TA, row, kk) ((TA) ? a[ao + (kk) * m + (row)] : a[ao + (row) * k + (kk)])
/* Element (kk, col) of op(B), a k x n matrix: B is stored k x n, or n x k when transposed. */
#define B_AT(TB, kk, col) ((TB) ? b[bo + (col) * k + (kk)] : b[bo + (kk) * n + (col)])

#define DEFINE_GEMM_TILED(NAME, TA, TB)                                                                      \
    __kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1))) void NAME(                       \
        int m, int n, int k, float alpha, __global const float *a, int ao, __global const float *b, int bo, \
        float beta, __global float *c, int co) {                                                          \
        __local float a_tile[TILE_K][TILE + PAD]; /* a_tile[kk][row] */                                   \
        __local float b_tile[TILE_K][TILE + PAD]; /* b_tile[kk][col] */                                   \
        const int tx = get_local_id(0);                                                                   \
        const int ty = get_local_id(1);                                                                   \
        const int lid = ty * THREADS + tx;                                                                \
        const int row0 = get_group_id(1) * TILE;                                                          \
        const int col0 = get_group_id(0) * TILE;                                                          \
        float acc[PER_THREAD][PER_THREAD];                                                                \
        for (int i = 0; i < PER_THREAD; i++) {                                                            \
            for (int j = 0; j < PER_THREAD; j++) {                                                        \
                acc[i][j] = 0.0f;                                                                         \
            }                                                                                             \
        }                                                                                                 \
        for (int k0 = 0; k0 < k; k0 += TILE_K) {                                                          \
            /* TILE * TILE_K elements per tile, THREADS^2 work-items: PER_THREAD loads each. */           \
            for (int p = 0; p < PER_THREAD; p++) {                                                        \
                int e = lid + p * THREADS * THREADS;                                                      \
                /* Consecutive e walk the dimension that is contiguous in memory. */                      \
                int r = (TA) ? e % TILE : e / TILE_K;                                                     \
                int kk = (TA) ? e / TILE : e % TILE_K;                                                    \
                int gr = row0 + r;                                                                        \
                int gk = k0 + kk;                                                                         \
                a_tile[kk][r] = (gr < m && gk < k) ? A_AT(TA, gr, gk) : 0.0f;                             \
                int cc = (TB) ? e / TILE_K : e % TILE;                                                    \
                int kb = (TB) ? e % TILE_K : e / TILE;                                                    \
                int gc = col0 + cc;                                                                       \
                int gkb = k0 + kb;                                                                        \
                b_tile[kb][cc] = (gc < n && gkb < k) ? B_AT(TB, gkb, gc) : 0.0f;                          \
            }                                                                                             \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
            for (int kk = 0; kk < TILE_K; kk++) {                                                         \
                float av[PER_THREAD];                                                                     \
                float bv[PER_THREAD];                                                                     \
                for (int i = 0; i < PER_THREAD; i++) {                                                    \
                    av[i] = a_tile[kk][ty + THREADS * i];                                                 \
                    bv[i] = b_tile[kk][tx + THREADS * i];                                                 \
                }                                                                                         \
                for (int i = 0; i < PER_THREAD; i++) {                                                    \
                    for (int j = 0; j < PER_THREAD; j++) {                                                \
                        acc[i][j] = mad(av[i], bv[j], acc[i][j]);                                         \
                    }                                                                                     \
                }                                                                                         \
            }                                                                                             \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
        }                                                                                                 \
        for (int i = 0; i < PER_THREAD; i++) {                                                            \
            int gr = row0 + ty + THREADS * i;                                                             \
            if (gr >= m) {                                                                                \
                break;                                                                                    \
            }                                                                                             \
            for (int j = 0; j < PER_THREAD; j++) {                                                        \
                int gc = col0 + tx + THREADS * j;                                                         \
                if (gc < n) {                                                                             \
                    int o = co + gr * n + gc;                                                             \
                    c[o] = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * c[o];            \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

DEFINE_GEMM_TILED(gemm_nn, 0, 0)
DEFINE_GEMM_TILED(gemm_nt, 0, 1)
DEFINE_GEMM_TILED(gemm_tn, 1, 0)
DEFINE_GEMM_TILED(gemm_tt, 1, 1)

/* One work-item per element of C (dimension 0 = column, so neighbours store neighbours). */
__kernel void gemm_simple(int trans_a, int trans_b, int m, int n, int k, float alpha, __global const float *a,
                          int ao, __global const float *b, int bo, float beta, __global float *c, int co) {
    int col = get_global_id(0);
    int row = get_global_id(1);
    if (row >= m || col >= n) {
        return;
    }
    float acc = 0.0f;
    for (int kk = 0; kk < k; kk++) {
        acc = mad(A_AT(trans_a, row, kk), B_AT(trans_b, kk, col), acc);
    }
    int o = co + row * n + col;
    c[o] = beta == 0.0f ? alpha * acc : alpha * acc + beta * c[o];
}
