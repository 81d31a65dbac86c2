/*
 * gemm_tiled.h - the one single-precision GEMM body that the OpenCL kernels (kernels/opencl/gemm.cl) and the
 * CUDA kernels (kernels/cuda/gemm.cu) instantiate: C = alpha * op(A) * op(B) + beta * C, row-major, all four
 * transpose combinations, any m, n, k.
 *
 * Arithmetic (the same as the CPU backend's CpuGemm, bit for bit): k is cut into blocks of
 * DENDRITE_GEMM_K_BLOCK; for each block in order a partial sum s starts at zero and takes the products in
 * increasing k with fused multiply-adds; the first block sets C = alpha * s (beta == 0: C's old contents, NaN
 * included, are never read) or fma(alpha, s, beta * C), every later block C = fma(alpha, s, C); k == 0 leaves
 * C = beta * C (zeros when beta == 0). (The code folds every block the same way, from a start of beta * C or -0:
 * see dendrite_gemm_start.) Every variant, split over k or not, does exactly these operations on every
 * element, so the variant a backend picks for a shape (by timing it) never changes a single bit of the result.
 * The fixed block size is what makes splitting k reproducible: a split product computes whole blocks apart and
 * folds their partial sums in block order afterwards, the same operations as doing it in one pass.
 *
 * Variants differ only in tiling (the DENDRITE_GEMM_<variant>_* constants below; Java's GemmVariant mirrors them
 * and computes the launch geometry, GemmVariantTest checks the two agree):
 *   BM x BN   the tile of C one work-group (CUDA: block) computes
 *   BK        the depth of one step through local memory; divides DENDRITE_GEMM_K_BLOCK
 *   TM x TN   the register block of one work-item; the group is (BN / TN) x (BM / TM) work-items, dimension 0
 *             along the columns. TM and TN are 1, 2, 4 or 8.
 *   SPLITS    1 if the variant may be split over k (below); 0 compiles that path out
 * A work-item owns its rows in chunks of up to four adjacent ones, the chunks TY * 4 rows apart (TY = BM / TM),
 * and its columns likewise: reading a chunk is one 16-byte local load, and the work-items of a warp read
 * consecutive chunks, which local memory serves without bank conflicts.
 *
 * A group may compute one k-block only (grid dimension 2 > 1: one group layer per k-block): it then writes the
 * block's raw partial sums to the work space w[block][m][n] and gemm_fold (dendrite_gemm_fold_element) folds
 * them into C afterwards. That is how the small-M variant finds enough parallel work in a 128 x 512 product.
 * With fold_last the kernel folds them itself: the last of a tile's groups to finish (last_group.h, a ticket per
 * tile in `tickets`, each 0 between kernels) folds that tile, the same operations in the same order.
 *
 * A dense layer's forward pass may end in the product (`dense`): C is then the layer's z, and each element goes on
 * through the bias (if has_bias) and the activation `act` into y, as bias_activation_forward would do after it.
 * The body returns whether its group wrote its tile of C (every group, except a split tile's groups but the last),
 * so that a kernel may go on from the tile (gemm.cl's backward ending).
 *
 * Instantiating a variant: define DENDRITE_GEMM_VARIANT as its name and include this file; each inclusion defines
 * dendrite_gemm_<variant>(ta, tb, m, n, k, alpha, a, b, beta, c, w, a_tile, b_tile, fold_last, tickets, dense,
 * bias, has_bias, act, act_alpha, y, grid), to be called by every work-item of a kernel whose group has the variant's
 * shape, with a_tile and b_tile local arrays of DENDRITE_GEMM_A_TILE(variant) and DENDRITE_GEMM_B_TILE(variant)
 * floats, 16-byte aligned; pointers point at each matrix's first element; w is only touched when the grid is split
 * over k, tickets only with fold_last, bias and y only with dense. This file is therefore not include-guarded as a
 * whole (KernelSources expands an unguarded header at every include, as cpp does); its shared part is.
 *
 * Loads: op(A) and op(B) tiles go through local memory as a_tile[kk][row] and b_tile[kk][col]; the loop that
 * fills them walks the dimension that is contiguous in memory, so global reads are coalesced for every
 * transposition, and the next tile is fetched into registers while the current one is multiplied. Outside the
 * matrices the tiles hold zeros, and every store is guarded.
 */
#include "dialect.h"
#include "activations.h"
#include "last_group.h"

#ifndef DENDRITE_GEMM_TILED_SHARED
#define DENDRITE_GEMM_TILED_SHARED

/*
 * dst[0..T) = a work-item's T register values from one k-row of a local tile: T / C groups of C consecutive
 * floats, the first at tile[first], each group `stride` floats after the previous one. A group of four is one
 * aligned float4 read (tile rows and offsets are multiples of 4 floats). C is a compile-time constant, so only
 * one branch is compiled into the unrolled loop.
 */
#define DENDRITE_GEMM_LOAD_REGS(dst, tile, first, T, C, stride)                                               \
    DENDRITE_UNROLL                                                                                            \
    for (int q_ = 0; q_ < (T) / (C); q_++) {                                                                   \
        const int at_ = (first) + q_ * (stride);                                                               \
        if ((C) == 4) {                                                                                        \
            dendrite_float4 v_ = dendrite_local_load4((tile) + at_);                                           \
            (dst)[(C) * q_] = v_.x;                                                                            \
            (dst)[(C) * q_ + 1] = v_.y;                                                                        \
            (dst)[(C) * q_ + 2] = v_.z;                                                                        \
            (dst)[(C) * q_ + 3] = v_.w;                                                                        \
        } else {                                                                                               \
            DENDRITE_UNROLL                                                                                    \
            for (int u_ = 0; u_ < (C); u_++) {                                                                 \
                (dst)[(C) * q_ + u_] = (tile)[at_ + u_];                                                       \
            }                                                                                                  \
        }                                                                                                      \
    }

/* The k-block of the arithmetic above. CpuGemm.KC is the same number: it decides the rounding, never tune it. */
#define DENDRITE_GEMM_K_BLOCK 256
/* Extra floats per local tile row: writes along k (untransposed A, transposed B) then fall in different banks,
 * and a row stays a multiple of 16 bytes long for the 16-byte reads. */
#define DENDRITE_GEMM_PAD 4

/* (a) The general-purpose variant: 256 work-items, a 4 x 4 register block each. */
#define DENDRITE_GEMM_tile64_BM 64
#define DENDRITE_GEMM_tile64_BN 64
#define DENDRITE_GEMM_tile64_BK 16
#define DENDRITE_GEMM_tile64_TM 4
#define DENDRITE_GEMM_tile64_TN 4
#define DENDRITE_GEMM_tile64_SPLITS 0

/* (b) Large matrices: 8 x 8 per work-item halves the local-memory reads per multiply-add. */
#define DENDRITE_GEMM_large_BM 128
#define DENDRITE_GEMM_large_BN 128
#define DENDRITE_GEMM_large_BK 8
#define DENDRITE_GEMM_large_TM 8
#define DENDRITE_GEMM_large_TN 8
#define DENDRITE_GEMM_large_SPLITS 0

/* (c) Small M (a batch of 32-256 rows): small tiles and many work-items, usually split over k-blocks. */
#define DENDRITE_GEMM_small_BM 32
#define DENDRITE_GEMM_small_BN 32
#define DENDRITE_GEMM_small_BK 16
#define DENDRITE_GEMM_small_TM 2
#define DENDRITE_GEMM_small_TN 2
#define DENDRITE_GEMM_small_SPLITS 1

/* Constant x of variant V (two levels, so that V may itself be a macro such as DENDRITE_GEMM_VARIANT). */
#define DENDRITE_GEMM_P(V, x) DENDRITE_GEMM_P_(V, x)
#define DENDRITE_GEMM_P_(V, x) DENDRITE_GEMM_##V##_##x
#define DENDRITE_GEMM_FN(V) DENDRITE_GEMM_FN_(V)
#define DENDRITE_GEMM_FN_(V) dendrite_gemm_##V
#define DENDRITE_GEMM_FETCH(V) DENDRITE_GEMM_FETCH_(V)
#define DENDRITE_GEMM_FETCH_(V) dendrite_gemm_fetch_##V
#define DENDRITE_GEMM_TX(V) (DENDRITE_GEMM_P(V, BN) / DENDRITE_GEMM_P(V, TN))
#define DENDRITE_GEMM_TY(V) (DENDRITE_GEMM_P(V, BM) / DENDRITE_GEMM_P(V, TM))
#define DENDRITE_GEMM_THREADS(V) (DENDRITE_GEMM_TX(V) * DENDRITE_GEMM_TY(V))
#define DENDRITE_GEMM_A_TILE(V) (DENDRITE_GEMM_P(V, BK) * (DENDRITE_GEMM_P(V, BM) + DENDRITE_GEMM_PAD))
#define DENDRITE_GEMM_B_TILE(V) (DENDRITE_GEMM_P(V, BK) * (DENDRITE_GEMM_P(V, BN) + DENDRITE_GEMM_PAD))

/* Element (row, kk) of op(A), an m x k matrix: A is stored m x k, or k x m when transposed. */
#define DENDRITE_GEMM_A_AT(a, ta, m, k, row, kk) ((ta) ? (a)[(kk) * (m) + (row)] : (a)[(row) * (k) + (kk)])
/* Element (kk, col) of op(B), a k x n matrix: B is stored k x n, or n x k when transposed. */
#define DENDRITE_GEMM_B_AT(b, tb, n, k, kk, col) ((tb) ? (b)[(col) * (k) + (kk)] : (b)[(kk) * (n) + (col)])

/*
 * C's value before the first k-block is folded in: beta * C, or -0 when beta == 0 (C's old contents, NaN
 * included, are not read). Every fold is then total = fma(alpha, s, total), which for the first block is exactly
 * CpuGemm.fold: fma(alpha, s, beta * C), or alpha * s because adding -0 changes neither the rounding nor the sign
 * of any product, zero or not.
 */
DENDRITE_DEVICE float dendrite_gemm_start(float beta, DENDRITE_GLOBAL const float *c) {
    return beta == 0.0f ? -0.0f : beta * *c;
}

/*
 * The grid of work-groups a product runs on, as the body sees it: group (x, y, z) of nx x ny x nz (x along the column
 * tiles, y along the row tiles, z along the k-blocks of a split). A kernel that runs one product passes the hardware's
 * (dendrite_gemm_hw_grid); one that runs two products in one launch gives each group its place in its product's grid.
 */
typedef struct {
    int x;
    int y;
    int z;
    int nx;
    int ny;
    int nz;
} dendrite_gemm_grid;

#ifndef DENDRITE_HOST
DENDRITE_DEVICE dendrite_gemm_grid dendrite_gemm_hw_grid() {
    dendrite_gemm_grid g;
    g.x = dendrite_group_id(0);
    g.y = dendrite_group_id(1);
    g.z = dendrite_group_id(2);
    g.nx = dendrite_num_groups(0);
    g.ny = dendrite_num_groups(1);
    g.nz = dendrite_num_groups(2);
    return g;
}
#endif

/* C's value when there is nothing to fold (k == 0, or alpha == 0, which the hosts pass as k == 0): beta * C. */
DENDRITE_DEVICE float dendrite_gemm_empty(float beta, float start) {
    return beta == 0.0f ? 0.0f : start;
}

/*
 * One element of C by itself (gemm_simple: one work-item per element, for products too small to fill a tile).
 * The same k-blocks and folds as the tiled body.
 */
DENDRITE_DEVICE void dendrite_gemm_simple_element(int ta, int tb, int m, int n, int k, float alpha,
                                                  DENDRITE_GLOBAL const float *a, DENDRITE_GLOBAL const float *b,
                                                  float beta, DENDRITE_GLOBAL float *c, int row, int col) {
    DENDRITE_GLOBAL float *out = c + row * n + col;
    float total = dendrite_gemm_start(beta, out);
    for (int k0 = 0; k0 < k; k0 += DENDRITE_GEMM_K_BLOCK) {
        int k1 = k - k0 < DENDRITE_GEMM_K_BLOCK ? k : k0 + DENDRITE_GEMM_K_BLOCK;
        float s = 0.0f;
        for (int kk = k0; kk < k1; kk++) {
            s = dendrite_fmaf(DENDRITE_GEMM_A_AT(a, ta, m, k, row, kk), DENDRITE_GEMM_B_AT(b, tb, n, k, kk, col), s);
        }
        total = dendrite_fmaf(alpha, s, total);
    }
    *out = k == 0 ? dendrite_gemm_empty(beta, total) : total;
}

/*
 * The second pass of a product split over k: element i of C (of mn) from the partial sums w[block * mn + i] of
 * its blocks, folded in block order exactly as an unsplit variant folds them as it goes.
 */
DENDRITE_DEVICE void dendrite_gemm_fold_element(int i, int mn, int blocks, float alpha,
                                                DENDRITE_GLOBAL const float *w, float beta,
                                                DENDRITE_GLOBAL float *c) {
    float total = dendrite_gemm_start(beta, c + i);
    for (int blk = 0; blk < blocks; blk++) {
        total = dendrite_fmaf(alpha, w[blk * mn + i], total);
    }
    c[i] = total;
}

/*
 * A dense layer's forward pass at the end of its product (the tiled kernels' `dense` ending): element e of z, in
 * column col, from the product's value v, then y = f(z); the operations of dendrite_bias_activation_element after
 * the product, so the same bits as the two kernels. y may alias z only for LINEAR.
 */
DENDRITE_DEVICE void dendrite_gemm_dense_end(float v, int e, int col, DENDRITE_GLOBAL const float *bias, int has_bias,
                                             int act, float act_alpha, DENDRITE_GLOBAL float *z,
                                             DENDRITE_GLOBAL float *y) {
    if (has_bias) {
        v += bias[col];
    }
    z[e] = v;
    y[e] = dendrite_activation(act, act_alpha, v);
}

#endif /* DENDRITE_GEMM_TILED_SHARED */

/* ============================================================ the tiled body, once per DENDRITE_GEMM_VARIANT */
#ifdef DENDRITE_GEMM_VARIANT

#define GEMM_BM DENDRITE_GEMM_P(DENDRITE_GEMM_VARIANT, BM)
#define GEMM_BN DENDRITE_GEMM_P(DENDRITE_GEMM_VARIANT, BN)
#define GEMM_BK DENDRITE_GEMM_P(DENDRITE_GEMM_VARIANT, BK)
#define GEMM_TM DENDRITE_GEMM_P(DENDRITE_GEMM_VARIANT, TM)
#define GEMM_TN DENDRITE_GEMM_P(DENDRITE_GEMM_VARIANT, TN)
#define GEMM_SPLITS DENDRITE_GEMM_P(DENDRITE_GEMM_VARIANT, SPLITS)
#define GEMM_TX DENDRITE_GEMM_TX(DENDRITE_GEMM_VARIANT)
#define GEMM_TY DENDRITE_GEMM_TY(DENDRITE_GEMM_VARIANT)
#define GEMM_THREADS DENDRITE_GEMM_THREADS(DENDRITE_GEMM_VARIANT)
/* Rows (columns) per chunk of a work-item's register block. */
#define GEMM_CM (GEMM_TM < 4 ? GEMM_TM : 4)
#define GEMM_CN (GEMM_TN < 4 ? GEMM_TN : 4)
/* Row lengths of the local tiles a_tile[kk][row] and b_tile[kk][col]. */
#define GEMM_LDA (GEMM_BM + DENDRITE_GEMM_PAD)
#define GEMM_LDB (GEMM_BN + DENDRITE_GEMM_PAD)
/* Elements of each tile one work-item moves per step. */
#define GEMM_LOAD_A (GEMM_BM * GEMM_BK / GEMM_THREADS)
#define GEMM_LOAD_B (GEMM_BN * GEMM_BK / GEMM_THREADS)
#define GEMM_TILES_PER_BLOCK (DENDRITE_GEMM_K_BLOCK / GEMM_BK)
/* Tile row (column) of register row i (column j) of work-item (tx, ty). */
#define GEMM_ROW(i) (((i) / GEMM_CM) * (GEMM_TY * GEMM_CM) + ty * GEMM_CM + (i) % GEMM_CM)
#define GEMM_COL(j) (((j) / GEMM_CN) * (GEMM_TX * GEMM_CN) + tx * GEMM_CN + (j) % GEMM_CN)

#if GEMM_BM % GEMM_TM != 0 || GEMM_BN % GEMM_TN != 0 || DENDRITE_GEMM_K_BLOCK % GEMM_BK != 0
#error "gemm_tiled.h: the tile must be whole register blocks, and BK must divide DENDRITE_GEMM_K_BLOCK"
#endif
#if (GEMM_BM * GEMM_BK) % GEMM_THREADS != 0 || (GEMM_BN * GEMM_BK) % GEMM_THREADS != 0
#error "gemm_tiled.h: every work-item must move the same number of tile elements"
#endif
#if GEMM_TM % GEMM_CM != 0 || GEMM_TN % GEMM_CN != 0
#error "gemm_tiled.h: TM and TN must be 1, 2, 4 or 8"
#endif

/*
 * Reads the op(A) and op(B) tiles that start at depth kt into registers (zeros outside the matrices): work-item
 * lid moves elements lid, lid + THREADS, ... of each, numbered so that consecutive work-items read consecutive
 * addresses, i.e. along k for an untransposed A or a transposed B, along the rows or columns otherwise.
 */
DENDRITE_DEVICE void DENDRITE_GEMM_FETCH(DENDRITE_GEMM_VARIANT)(
        const int ta, const int tb, const int m, const int n, const int k, const int kt, const int row0,
        const int col0, const int lid, DENDRITE_GLOBAL const float *a, DENDRITE_GLOBAL const float *b,
        float *next_a, float *next_b) {
    DENDRITE_UNROLL
    for (int p = 0; p < GEMM_LOAD_A; p++) {
        const int e = lid + p * GEMM_THREADS;
        const int r = ta ? e % GEMM_BM : e / GEMM_BK;
        const int kk = ta ? e / GEMM_BM : e % GEMM_BK;
        next_a[p] = row0 + r < m && kt + kk < k ? DENDRITE_GEMM_A_AT(a, ta, m, k, row0 + r, kt + kk) : 0.0f;
    }
    DENDRITE_UNROLL
    for (int p = 0; p < GEMM_LOAD_B; p++) {
        const int e = lid + p * GEMM_THREADS;
        const int cc = tb ? e / GEMM_BK : e % GEMM_BN;
        const int kk = tb ? e % GEMM_BK : e / GEMM_BN;
        next_b[p] = col0 + cc < n && kt + kk < k ? DENDRITE_GEMM_B_AT(b, tb, n, k, kt + kk, col0 + cc) : 0.0f;
    }
}

DENDRITE_DEVICE int DENDRITE_GEMM_FN(DENDRITE_GEMM_VARIANT)(
        const int ta, const int tb, const int m, const int n, const int k, const float alpha,
        DENDRITE_GLOBAL const float *a, DENDRITE_GLOBAL const float *b, const float beta, DENDRITE_GLOBAL float *c,
        DENDRITE_GLOBAL float *w, DENDRITE_LOCAL_PTR float *a_tile, DENDRITE_LOCAL_PTR float *b_tile,
        const int fold_last, DENDRITE_GLOBAL int *tickets, const int dense, DENDRITE_GLOBAL const float *bias,
        const int has_bias, const int act, const float act_alpha, DENDRITE_GLOBAL float *y,
        const dendrite_gemm_grid g) {
    const int tx = dendrite_local_id(0);
    const int ty = dendrite_local_id(1);
    const int lid = ty * GEMM_TX + tx;
    const int row0 = g.y * GEMM_BM;
    const int col0 = g.x * GEMM_BN;
    const int split = GEMM_SPLITS && g.nz > 1;
    const int blocks = (k + DENDRITE_GEMM_K_BLOCK - 1) / DENDRITE_GEMM_K_BLOCK;
    /* The k-blocks this group adds up: all of them, or (split) the one of its layer. */
    const int first_block = split ? g.z : 0;
    const int end_block = split ? first_block + 1 : blocks;
    const int k_end = k < end_block * DENDRITE_GEMM_K_BLOCK ? k : end_block * DENDRITE_GEMM_K_BLOCK;
    const int t_begin = first_block * GEMM_TILES_PER_BLOCK;
    const int t_end = (k_end + GEMM_BK - 1) / GEMM_BK;

    float s[GEMM_TM][GEMM_TN];     /* the current k-block's partial sums */
    float total[GEMM_TM][GEMM_TN]; /* C so far (unsplit) */
    DENDRITE_UNROLL
    for (int i = 0; i < GEMM_TM; i++) {
        const int gr = row0 + GEMM_ROW(i);
        DENDRITE_UNROLL
        for (int j = 0; j < GEMM_TN; j++) {
            const int gc = col0 + GEMM_COL(j);
            s[i][j] = 0.0f;
            total[i][j] = split || gr >= m || gc >= n ? 0.0f : dendrite_gemm_start(beta, c + gr * n + gc);
        }
    }
    /* The next tile, on its way from global memory while the current one is multiplied. */
    float next_a[GEMM_LOAD_A];
    float next_b[GEMM_LOAD_B];

    if (t_begin < t_end) {
        DENDRITE_GEMM_FETCH(DENDRITE_GEMM_VARIANT)(ta, tb, m, n, k, t_begin * GEMM_BK, row0, col0, lid, a, b,
                                                   next_a, next_b);
    }
    for (int t = t_begin; t < t_end; t++) {
        DENDRITE_UNROLL
        for (int p = 0; p < GEMM_LOAD_A; p++) {
            const int e = lid + p * GEMM_THREADS;
            const int r = ta ? e % GEMM_BM : e / GEMM_BK; /* as in the fetch */
            const int kk = ta ? e / GEMM_BM : e % GEMM_BK;
            a_tile[kk * GEMM_LDA + r] = next_a[p];
        }
        DENDRITE_UNROLL
        for (int p = 0; p < GEMM_LOAD_B; p++) {
            const int e = lid + p * GEMM_THREADS;
            const int cc = tb ? e / GEMM_BK : e % GEMM_BN;
            const int kk = tb ? e % GEMM_BK : e / GEMM_BN;
            b_tile[kk * GEMM_LDB + cc] = next_b[p];
        }
        dendrite_barrier();
        if (t + 1 < t_end) {
            DENDRITE_GEMM_FETCH(DENDRITE_GEMM_VARIANT)(ta, tb, m, n, k, (t + 1) * GEMM_BK, row0, col0, lid, a, b,
                                                       next_a, next_b);
        }
        DENDRITE_UNROLL
        for (int kk = 0; kk < GEMM_BK; kk++) {
            float av[GEMM_TM];
            float bv[GEMM_TN];
            DENDRITE_GEMM_LOAD_REGS(av, a_tile, kk * GEMM_LDA + ty * GEMM_CM, GEMM_TM, GEMM_CM, GEMM_TY * GEMM_CM);
            DENDRITE_GEMM_LOAD_REGS(bv, b_tile, kk * GEMM_LDB + tx * GEMM_CN, GEMM_TN, GEMM_CN, GEMM_TX * GEMM_CN);
            DENDRITE_UNROLL
            for (int i = 0; i < GEMM_TM; i++) {
                DENDRITE_UNROLL
                for (int j = 0; j < GEMM_TN; j++) {
                    s[i][j] = dendrite_fmaf(av[i], bv[j], s[i][j]);
                }
            }
        }
        dendrite_barrier(); /* the tiles are rewritten next step */
        if ((t + 1) % GEMM_TILES_PER_BLOCK == 0 || t + 1 == t_end) {
            /* The end of a k-block: fold it into C so far, or (split) hand its partial sums to gemm_fold. */
            const int blk = t / GEMM_TILES_PER_BLOCK;
            DENDRITE_UNROLL
            for (int i = 0; i < GEMM_TM; i++) {
                const int gr = row0 + GEMM_ROW(i);
                DENDRITE_UNROLL
                for (int j = 0; j < GEMM_TN; j++) {
                    const int gc = col0 + GEMM_COL(j);
                    if (!split) {
                        total[i][j] = dendrite_fmaf(alpha, s[i][j], total[i][j]);
                    } else if (gr < m && gc < n) {
                        w[(blk * m + gr) * n + gc] = s[i][j];
                    }
                    s[i][j] = 0.0f;
                }
            }
        }
    }
    /*
     * Split, with fold_last: the group that finishes its tile last (a ticket per tile) folds the tile's partial sums
     * itself with gemm_fold's arithmetic, so the product needs no second launch; without, gemm_fold or the kernel
     * after the product folds them. Either way, with `dense` each element of C (z) goes on through the layer's bias
     * and activation into y.
     */
    const int tile = g.y * g.nx + g.x;
    const int folds = split && fold_last;
    const int last = dendrite_group_is_last_of(folds, lid, folds ? tickets + tile : tickets, g.nz,
                                               (DENDRITE_LOCAL_PTR int *) a_tile);
    /* No early return for the other groups of a split tile: a kernel that goes on after the product (gemm.cl's
     * backward ending) has barriers that every work-item must reach. */
    const int stores = !split || last;
    DENDRITE_UNROLL
    for (int i = 0; i < GEMM_TM; i++) {
        const int gr = row0 + GEMM_ROW(i);
        DENDRITE_UNROLL
        for (int j = 0; j < GEMM_TN; j++) {
            const int gc = col0 + GEMM_COL(j);
            if (stores && gr < m && gc < n) {
                const int e = gr * n + gc;
                if (split) {
                    dendrite_gemm_fold_element(e, m * n, g.nz, alpha, w, beta, c);
                } else {
                    c[e] = blocks == 0 ? dendrite_gemm_empty(beta, total[i][j]) : total[i][j];
                }
            }
        }
    }
    if (stores && dense) {
        /* A loop of its own, kept a loop: one copy of the activation's code, not TM * TN; each element of z is read
         * back by the work-item that wrote it. */
        DENDRITE_NO_UNROLL
        for (int q = 0; q < GEMM_TM * GEMM_TN; q++) {
            const int gr = row0 + GEMM_ROW(q / GEMM_TN);
            const int gc = col0 + GEMM_COL(q % GEMM_TN);
            if (gr < m && gc < n) {
                const int e = gr * n + gc;
                dendrite_gemm_dense_end(c[e], e, gc, bias, has_bias, act, act_alpha, c, y);
            }
        }
    }
    if (last && lid == 0) {
        tickets[tile] = 0; /* ready for the next split product */
    }
    return stores;
}

#undef GEMM_BM
#undef GEMM_BN
#undef GEMM_BK
#undef GEMM_TM
#undef GEMM_TN
#undef GEMM_SPLITS
#undef GEMM_TX
#undef GEMM_TY
#undef GEMM_THREADS
#undef GEMM_CM
#undef GEMM_CN
#undef GEMM_LDA
#undef GEMM_LDB
#undef GEMM_LOAD_A
#undef GEMM_LOAD_B
#undef GEMM_TILES_PER_BLOCK
#undef GEMM_ROW
#undef GEMM_COL
#undef DENDRITE_GEMM_VARIANT
#endif /* DENDRITE_GEMM_VARIANT */
