/*
 * gemm_forward.cu - a dense layer's forward pass at the course networks' small batches, y = relu(x W + b), x (M x K)
 * and W (K x N) row-major, M = 64 or 128: the shapes where cuBLAS reached 20-23 TFLOP/s of the H200's 67 in
 * session 15 (bench/results/h200-2026-12-04-s15/call2/cuda-*-choice.txt), so that mlp1024's products alone fill
 * most of the step its target allows (bench/RESULTS.md). Which kernel design gets more out of so few rows, timed
 * the way a training step runs it, beside cuBLAS, before any of it goes into kernels/: llm.c's dev/cuda manner, a
 * float64 reference, numbered versions, each checked and timed.
 *
 *   bash bench/gpu/dev/build.sh                  (nvcc -arch=sm_90; run-on-gpu.sh's dev stage runs it)
 *   gemm_forward [M N K]...                      (default: the course shapes below)
 *
 * Versions (all with the bias and relu, so each row is a whole forward layer):
 *   1        one thread per output
 *   2        a 64 x 64 tile per block of 256 threads (4 x 4 outputs each), k in steps of 16 through shared memory,
 *            double-buffered: the whole k in one block, so a 128 x 512 output is only 16 blocks
 *   3/S      version 2 over S slices of k (grid z), raw partial tiles to global memory, then a fold kernel that sums
 *            the slices in order and adds the bias and relu: the shape of Dendrite's path today (cuBLAS's
 *            strided-batched slices, then gemm_fold_bias_activation)
 *   4/S      version 3 in one launch: the last block of each tile to finish (a ticket per tile) folds the slices
 *   5/S      version 3 with the S slices of a tile as one thread-block cluster (Hopper): the partial tiles stay in
 *            shared memory, and each block folds a stripe of the tile's rows, reading its peers' partials through
 *            distributed shared memory; no global partials, one launch
 *   6/S      version 5 with the block's whole slice of x and W copied to shared memory at once (cp.async), so that
 *            global memory's latency is waited for once, not once per 16-deep step
 *   cublas   cublasSgemm, then a bias-and-relu kernel
 *   cublas/S cublasSgemmStridedBatched over S slices of k, then version 3's fold
 * Each fold sums the slices in slice order from zero, so versions 3-6 with the same S give the same bits (cuBLAS/S
 * cuts k into K/S-deep slices, these into whole 16-deep steps; at K = 784 and S = 16 only 13 of their slices work).
 */
#include <cooperative_groups.h>

#include <string>

#include "common.cuh"

namespace cg = cooperative_groups;

constexpr int BM = 64;
constexpr int BN = 64;
constexpr int BK = 16;
constexpr int THREADS = 256;

/* ------------------------------------------------------------------ CPU reference (float64), one output */

struct Problem {
    int m, n, k;
    const float *x, *w, *b; /* device */
    std::vector<float> hx, hw, hb;
};

static double reference(const Problem &p, size_t i) {
    int r = (int) (i / p.n);
    int c = (int) (i % p.n);
    double s = p.hb[c];
    for (int k = 0; k < p.k; k++) {
        s += (double) p.hx[(size_t) r * p.k + k] * p.hw[(size_t) k * p.n + c];
    }
    return s > 0.0 ? s : 0.0;
}

__device__ __forceinline__ float relu_bias(float v, const float *b, int c) {
    v += b[c];
    return v > 0.0f ? v : 0.0f;
}

/* ------------------------------------------------------------------ version 1 */

__global__ void forward_naive(const float *x, const float *w, const float *b, float *y, int m, int n, int k) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    int r = blockIdx.y;
    if (c < n) {
        float s = 0.0f;
        for (int j = 0; j < k; j++) {
            s = fmaf(x[(size_t) r * k + j], w[(size_t) j * n + c], s);
        }
        y[(size_t) r * n + c] = relu_bias(s, b, c);
    }
}

/* ------------------------------------------------------------------ the tile product every other version shares */

/*
 * acc = the 64 x 64 tile at (row0, col0) of x[:, k0:k1) W[k0:k1, :]; thread t owns rows ty*4.. and columns tx*4..
 * (tx = t % 16, ty = t / 16). Each step moves a 64 x 16 slab of x (stored transposed, so a thread's four rows are
 * one float4) and a 16 x 64 slab of W through shared memory; the next slab is fetched into registers while the
 * current one is multiplied, and stored into the other buffer after, one barrier a step.
 */
__device__ __forceinline__ void tile_product(const float *x, const float *w, int m, int n, int k, int row0, int col0,
                                             int k0, int k1, float acc[4][4]) {
    __shared__ __align__(16) float as[2][BK][BM];
    __shared__ __align__(16) float bs[2][BK][BN];
    int t = threadIdx.x;
    int tx = t & 15;
    int ty = t >> 4;
    int a_row = t >> 2;       /* 0..63 */
    int a_k = (t & 3) << 2;   /* 0, 4, 8, 12 */
    int b_k = t >> 4;         /* 0..15 */
    int b_col = (t & 15) << 2; /* 0..60 */
    float ra[4], rb[4];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            acc[i][j] = 0.0f;
        }
    }
    auto fetch = [&](int kt) {
        int gr = row0 + a_row;
        for (int j = 0; j < 4; j++) {
            int gk = kt + a_k + j;
            ra[j] = gr < m && gk < k1 ? x[(size_t) gr * k + gk] : 0.0f;
        }
        int gk = kt + b_k;
        for (int j = 0; j < 4; j++) {
            int gc = col0 + b_col + j;
            rb[j] = gk < k1 && gc < n ? w[(size_t) gk * n + gc] : 0.0f;
        }
    };
    auto store = [&](int buf) {
        for (int j = 0; j < 4; j++) {
            as[buf][a_k + j][a_row] = ra[j];
        }
        *reinterpret_cast<float4 *>(&bs[buf][b_k][b_col]) = make_float4(rb[0], rb[1], rb[2], rb[3]);
    };
    if (k0 >= k1) {
        return;
    }
    fetch(k0);
    store(0);
    __syncthreads();
    int buf = 0;
    for (int kt = k0; kt < k1; kt += BK) {
        bool more = kt + BK < k1;
        if (more) {
            fetch(kt + BK);
        }
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float4 a = *reinterpret_cast<const float4 *>(&as[buf][kk][ty * 4]);
            float4 bv = *reinterpret_cast<const float4 *>(&bs[buf][kk][tx * 4]);
            float av[4] = {a.x, a.y, a.z, a.w};
            float bw[4] = {bv.x, bv.y, bv.z, bv.w};
            fma_4x4(av, bw, acc);
        }
        if (more) {
            store(buf ^ 1);
        }
        __syncthreads();
        buf ^= 1;
    }
}

/* The k range of slice s of S: whole steps of BK, the last slice taking the rest. */
__device__ __forceinline__ void slice_range(int k, int s, int slices, int &k0, int &k1) {
    int steps = (k + BK - 1) / BK;
    int per = (steps + slices - 1) / slices;
    k0 = min(k, s * per * BK);
    k1 = min(k, (s + 1) * per * BK);
}

/*
 * A thread's 4 x 4 sums to rows row0 + ty*4.., columns col0 + tx*4.. of the m x n matrix c (inside it only): as
 * they are (a partial), or relu(sum + b) where b is given (a finished layer).
 */
__device__ __forceinline__ void store_4x4(const float acc[4][4], const float *b, float *c, int row0, int col0,
                                          int m, int n) {
    int tx = threadIdx.x & 15;
    int ty = threadIdx.x >> 4;
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty * 4 + i;
        for (int j = 0; j < 4; j++) {
            int col = col0 + tx * 4 + j;
            if (r < m && col < n) {
                c[(size_t) r * n + col] = b != nullptr ? relu_bias(acc[i][j], b, col) : acc[i][j];
            }
        }
    }
}

/*
 * The end of versions 5 and 6: this block's partial tile into its shared `part` (64 x 64), then each block of the
 * cluster folds its stripe of rows over every block's partial, in rank order, through distributed shared memory,
 * and writes relu(sum + b).
 */
__device__ __forceinline__ void cluster_fold(const float acc[4][4], float *part, const float *b, float *y,
                                             int row0, int col0, int m, int n) {
    cg::cluster_group cluster = cg::this_cluster();
    int slices = (int) cluster.num_blocks();
    int rank = (int) cluster.block_rank();
    int tx = threadIdx.x & 15;
    int ty = threadIdx.x >> 4;
    for (int i = 0; i < 4; i++) {
        *reinterpret_cast<float4 *>(part + (ty * 4 + i) * BN + tx * 4) =
                make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
    }
    cluster.sync(); /* every slice's partial tile is in its block's shared memory */
    int rows = BM / slices;
    for (int e = threadIdx.x; e < rows * BN; e += THREADS) {
        int lr = rank * rows + e / BN;
        int lc = e % BN;
        float s = 0.0f;
        for (int z = 0; z < slices; z++) {
            s += cluster.map_shared_rank(part, z)[lr * BN + lc];
        }
        int r = row0 + lr;
        int c = col0 + lc;
        if (r < m && c < n) {
            y[(size_t) r * n + c] = relu_bias(s, b, c);
        }
    }
    cluster.sync(); /* no block leaves while a peer may still read its partial */
}

/* ------------------------------------------------------------------ version 2 */

__global__ void __launch_bounds__(THREADS) forward_tile(const float *x, const float *w, const float *b, float *y,
                                                        int m, int n, int k) {
    float acc[4][4];
    int row0 = blockIdx.y * BM;
    int col0 = blockIdx.x * BN;
    tile_product(x, w, m, n, k, row0, col0, 0, k, acc);
    store_4x4(acc, b, y, row0, col0, m, n);
}

/* ------------------------------------------------------------------ version 3: slices, then a fold */

/* This block's slice of k for its tile, stored as the tile's partial sums of slice blockIdx.z. */
__device__ __forceinline__ void store_slice_partials(const float *x, const float *w, float *partials, int m, int n,
                                                     int k) {
    float acc[4][4];
    int row0 = blockIdx.y * BM;
    int col0 = blockIdx.x * BN;
    int k0, k1;
    slice_range(k, blockIdx.z, gridDim.z, k0, k1);
    tile_product(x, w, m, n, k, row0, col0, k0, k1, acc);
    store_4x4(acc, nullptr, partials + (size_t) blockIdx.z * m * n, row0, col0, m, n);
}

__global__ void __launch_bounds__(THREADS) forward_slices(const float *x, const float *w, float *partials, int m,
                                                          int n, int k) {
    store_slice_partials(x, w, partials, m, n, k);
}

__global__ void bias_relu(float *y, const float *b, int m, int n) {
    size_t mn = (size_t) m * n;
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < mn; i += (size_t) gridDim.x * blockDim.x) {
        y[i] = relu_bias(y[i], b, (int) (i % n));
    }
}

/* ------------------------------------------------------------------ version 4: the tile's last block folds */

__global__ void __launch_bounds__(THREADS) forward_slices_last_folds(const float *x, const float *w, const float *b,
                                                                     float *partials, unsigned int *tickets,
                                                                     float *y, int m, int n, int k) {
    __shared__ bool last;
    store_slice_partials(x, w, partials, m, n, k);
    int row0 = blockIdx.y * BM;
    int col0 = blockIdx.x * BN;
    size_t mn = (size_t) m * n;
    int tx = threadIdx.x & 15;
    int ty = threadIdx.x >> 4;
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned int tile = blockIdx.y * gridDim.x + blockIdx.x;
        last = atomicAdd(&tickets[tile], 1u) == gridDim.z - 1;
        if (last) {
            tickets[tile] = 0u;
        }
    }
    __syncthreads();
    if (!last) {
        return;
    }
    __threadfence();
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty * 4 + i;
        for (int j = 0; j < 4; j++) {
            int c = col0 + tx * 4 + j;
            if (r < m && c < n) {
                float s = 0.0f;
                for (int z = 0; z < (int) gridDim.z; z++) {
                    s += __ldcg(&partials[z * mn + (size_t) r * n + c]);
                }
                y[(size_t) r * n + c] = relu_bias(s, b, c);
            }
        }
    }
}

/* ------------------------------------------------------------------ version 5: a cluster per tile */

__global__ void __launch_bounds__(THREADS) forward_cluster(const float *x, const float *w, const float *b, float *y,
                                                           int m, int n, int k) {
    __shared__ __align__(16) float part[BM * BN];
    cg::cluster_group cluster = cg::this_cluster();
    float acc[4][4];
    int row0 = blockIdx.y * BM;
    int col0 = blockIdx.x * BN;
    int k0, k1;
    slice_range(k, (int) cluster.block_rank(), (int) cluster.num_blocks(), k0, k1);
    tile_product(x, w, m, n, k, row0, col0, k0, k1, acc);
    cluster_fold(acc, part, b, y, row0, col0, m, n);
}

/* ------------------------------------------------------------------ version 6: the whole slice at once */

/*
 * Version 5 with the block's whole slice of x and W copied into shared memory at once (cp.async: every copy in
 * flight before the first wait), then multiplied from there. Version 5 waits for global memory once per 16-deep
 * step with one step in flight, which at these shapes (6-16 steps of 256 FMAs a thread) leaves most of the latency
 * exposed. Dynamic shared memory: x's slice as [64][depth + 4] (rows padded so that a thread's four rows fall in
 * different banks), W's as [depth][64], and the partial tile [64][64]. Needs k and n multiples of 4 (16-byte rows).
 */
__global__ void __launch_bounds__(THREADS) forward_cluster_whole(const float *x, const float *w, const float *b,
                                                                 float *y, int m, int n, int k, int depth) {
    extern __shared__ __align__(16) float smem[];
    int lda = depth + 4;
    float *as = smem;
    float *bs = as + BM * lda;
    float *part = bs + depth * BN;
    cg::cluster_group cluster = cg::this_cluster();
    int slices = (int) cluster.num_blocks();
    int rank = (int) cluster.block_rank();
    int row0 = blockIdx.y * BM;
    int col0 = blockIdx.x * BN;
    int k0, k1;
    slice_range(k, rank, slices, k0, k1);
    int quads = depth / 4;
    for (int e = threadIdx.x; e < BM * quads; e += THREADS) {
        int r = e / quads;
        int kk = (e % quads) * 4;
        bool valid = row0 + r < m && k0 + kk < k1;
        copy16_async(as + r * lda + kk, valid ? x + (size_t) (row0 + r) * k + k0 + kk : x, valid);
    }
    for (int e = threadIdx.x; e < depth * (BN / 4); e += THREADS) {
        int kk = e / (BN / 4);
        int c = (e % (BN / 4)) * 4;
        bool valid = k0 + kk < k1 && col0 + c < n;
        copy16_async(bs + kk * BN + c, valid ? w + (size_t) (k0 + kk) * n + col0 + c : w, valid);
    }
    copies_done();
    int tx = threadIdx.x & 15;
    int ty = threadIdx.x >> 4;
    float acc[4][4] = {};
    const float *arow = as + ty * 4 * lda;
    for (int kk = 0; kk < depth; kk++) {
        float av[4] = {arow[kk], arow[lda + kk], arow[2 * lda + kk], arow[3 * lda + kk]};
        float4 bv = *reinterpret_cast<const float4 *>(bs + kk * BN + tx * 4);
        float bw[4] = {bv.x, bv.y, bv.z, bv.w};
        fma_4x4(av, bw, acc);
    }
    cluster_fold(acc, part, b, y, row0, col0, m, n);
}

/* ------------------------------------------------------------------ the runs */

struct Row {
    std::string name;
    double us;
    double err;
};

static void report(const Problem &p, const std::vector<Row> &rows) {
    double flop = 2.0 * p.m * p.n * p.k;
    std::printf("\nM=%d N=%d K=%d (%.0f MFLOP), y = relu(x W + b), us per op in a graph chain of 20\n", p.m, p.n,
                p.k, flop / 1e6);
    std::printf("  %-14s %9s %9s %11s\n", "version", "us/op", "TFLOP/s", "max error");
    for (const Row &r : rows) {
        std::printf("  %-14s %9.2f %9.1f %11.2e %s\n", r.name.c_str(), r.us, flop / r.us / 1e6, r.err,
                    r.err < 1e-4 ? "ok" : "WRONG");
    }
    std::fflush(stdout);
}

static void run_shape(int m, int n, int k, cudaStream_t stream, Cublas *cublas, int max_shared) {
    Problem p{m, n, k, nullptr, nullptr, nullptr, uniform((size_t) m * k, 0.0f, 1.0f, 1),
              normal((size_t) k * n, 1.0f / std::sqrt((float) k), 2), normal(n, 0.1f, 3)};
    p.x = to_device(p.hx);
    p.w = to_device(p.hw);
    p.b = to_device(p.hb);
    float *y;
    float *partials;
    unsigned int *tickets;
    size_t mn = (size_t) m * n;
    CHECK_CUDA(cudaMalloc(&y, mn * sizeof(float)));
    CHECK_CUDA(cudaMalloc(&partials, 16 * mn * sizeof(float)));
    CHECK_CUDA(cudaMalloc(&tickets, 4096 * sizeof(unsigned int)));
    CHECK_CUDA(cudaMemset(tickets, 0, 4096 * sizeof(unsigned int)));
    CHECK_CUDA(cudaDeviceSynchronize()); /* the setup is done before anything runs on the timing stream */
    dim3 tiles((n + BN - 1) / BN, (m + BM - 1) / BM);
    if (tiles.x * tiles.y > 4096 || m > 65535) {
        std::fprintf(stderr, "gemm_forward: %d x %d is past the tickets (4096 tiles) or the naive grid\n", m, n);
        std::exit(2);
    }
    int fold_blocks = (int) std::min<size_t>((mn + 255) / 256, 1024);
    auto check = [&](const std::string &name, const std::function<void()> &issue, std::vector<Row> &rows) {
        CHECK_CUDA(cudaMemsetAsync(y, 0, mn * sizeof(float), stream));
        issue();
        CHECK_CUDA(cudaGetLastError());
        cudaError_t e = cudaStreamSynchronize(stream);
        if (e != cudaSuccess) {
            std::printf("  %-14s failed: %s\n", name.c_str(), cudaGetErrorString(e));
            std::exit(1); /* a fault leaves the context unusable */
        }
        double err = sampled_error(to_host(y, mn), [&](size_t i) { return reference(p, i); }, 4096, 7);
        rows.push_back({name, time_in_graph(stream, issue), err});
    };
    std::vector<Row> rows;
    check("1 naive", [&] {
        forward_naive<<<dim3((n + 127) / 128, m), 128, 0, stream>>>(p.x, p.w, p.b, y, m, n, k);
    }, rows);
    check("2 tile", [&] { forward_tile<<<tiles, THREADS, 0, stream>>>(p.x, p.w, p.b, y, m, n, k); }, rows);
    for (int s : {2, 4, 8, 16}) {
        dim3 grid(tiles.x, tiles.y, s);
        check("3/" + std::to_string(s) + " +fold", [&] {
            forward_slices<<<grid, THREADS, 0, stream>>>(p.x, p.w, partials, m, n, k);
            fold_bias_relu<<<fold_blocks, 256, 0, stream>>>(partials, s, p.b, y, m, n);
        }, rows);
        check("4/" + std::to_string(s) + " last", [&] {
            forward_slices_last_folds<<<grid, THREADS, 0, stream>>>(p.x, p.w, p.b, partials, tickets, y, m, n, k);
        }, rows);
        if (s <= 8) { /* the portable cluster size */
            cudaLaunchConfig_t cfg = {};
            cfg.gridDim = grid;
            cfg.blockDim = dim3(THREADS);
            cfg.stream = stream;
            cudaLaunchAttribute attr[1] = {};
            attr[0].id = cudaLaunchAttributeClusterDimension;
            attr[0].val.clusterDim.x = 1;
            attr[0].val.clusterDim.y = 1;
            attr[0].val.clusterDim.z = s;
            cfg.attrs = attr;
            cfg.numAttrs = 1;
            check("5/" + std::to_string(s) + " cluster", [&] {
                CHECK_CUDA(cudaLaunchKernelEx(&cfg, forward_cluster, p.x, p.w, p.b, y, m, n, k));
            }, rows);
            /* Version 6: the slice's depth as slice_range cuts it, and the shared memory that needs. */
            int steps = (k + BK - 1) / BK;
            int depth = (steps + s - 1) / s * BK;
            size_t bytes = (size_t) (BM * (depth + 4) + depth * BN + BM * BN) * sizeof(float);
            if (k % 4 == 0 && n % 4 == 0 && bytes <= (size_t) max_shared) {
                CHECK_CUDA(cudaFuncSetAttribute(forward_cluster_whole, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                (int) bytes));
                cudaLaunchConfig_t whole = cfg;
                whole.dynamicSmemBytes = bytes;
                check("6/" + std::to_string(s) + " whole", [&] {
                    CHECK_CUDA(cudaLaunchKernelEx(&whole, forward_cluster_whole, p.x, p.w, p.b, y, m, n, k, depth));
                }, rows);
            }
        }
    }
    if (cublas != nullptr) {
        const float one = 1.0f;
        const float zero = 0.0f;
        /* Row-major y = x W is column-major y^T = W^T x^T: W as the first operand, leading dimensions n and k. */
        check("cublas", [&] {
            CHECK_CUBLAS(cublas->sgemm(cublas->handle, 0, 0, n, m, k, &one, p.w, n, p.x, k, &zero, y, n));
            bias_relu<<<fold_blocks, 256, 0, stream>>>(y, p.b, m, n);
        }, rows);
        for (int s : {2, 4, 8, 16}) {
            if (k % s != 0) {
                continue;
            }
            int ks = k / s;
            check("cublas/" + std::to_string(s), [&] {
                CHECK_CUBLAS(cublas->sgemm_batched(cublas->handle, 0, 0, n, m, ks, &one, p.w, n, (long long) ks * n,
                                                   p.x, k, ks, &zero, partials, n, (long long) mn, s));
                fold_bias_relu<<<fold_blocks, 256, 0, stream>>>(partials, s, p.b, y, m, n);
            }, rows);
        }
    }
    report(p, rows);
    CHECK_CUDA(cudaFree((void *) p.x));
    CHECK_CUDA(cudaFree((void *) p.w));
    CHECK_CUDA(cudaFree((void *) p.b));
    CHECK_CUDA(cudaFree(y));
    CHECK_CUDA(cudaFree(partials));
    CHECK_CUDA(cudaFree(tickets));
}

int main(int argc, char **argv) {
    /* mlp512, mlp1024 and bn256's forward products */
    return run_shapes(argc, argv, {128, 512, 784, 128, 512, 512, 128, 1024, 784, 128, 1024, 1024, 64, 256, 784, 64,
                                   256, 256}, "gemm_forward", [](int m, int n, int k, const Device &d, Cublas *cublas) {
        run_shape(m, n, k, d.stream, cublas, (int) d.prop.sharedMemPerBlockOptin);
    });
}
