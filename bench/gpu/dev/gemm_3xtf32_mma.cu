/*
 * gemm_3xtf32_mma.cu - gemm_wide_fp32.cu's 3xTF32 in one kernel of our own: the operands' TF32 parts made in
 * registers as the fragments are read from shared memory, so that no split is written to and read back from device
 * memory (through cuBLAS, wide4096's forward product moves about 240 MB for its splits). If gemm_wide_fp32 finds
 * three cuBLAS TF32 products fast but the splits too slow, this is the other way to FP32's accuracy on the tensor
 * cores. A separate program, so that a fault here cannot take gemm_wide_fp32's rows with it.
 *
 *   bash bench/gpu/dev/build.sh                  (nvcc -arch=sm_90; run-on-gpu.sh's dev stage runs it)
 *   gemm_3xtf32_mma [M N K]...                   (default: wide4096's 1024 x 4096 x 4096)
 * Each M N K runs as wide4096's three kinds of product (gemm_wide_fp32.cu): Y = X W (NN), dX = dY W^T (NT) and
 * dW = X^T dY (TN, 4096 x 4096 x 1024 by default). M and N must be multiples of 128, K of 32.
 *
 * Versions (each writes C = op(A) op(B)):
 *   0  cuBLAS SGEMM, the time and accuracy to match (left out where cuBLAS cannot be opened)
 *   1  the kernel below with one TF32 product per fragment (big x big): how close this plain mma.sync kernel comes
 *      to cuBLAS's TF32 (gemm_wide_fp32's version 1) at all
 *   2  the kernel with the three products: small x big, big x small, big x big (131-138 registers with nvcc 13.0:
 *      one block per SM)
 *   3  version 2 held to 128 registers (__launch_bounds__(256, 2)): two blocks per SM to hide the loads' latency,
 *      for 8-16 bytes of spills (ptxas, sm_90)
 * Each row also gives the blocks per SM the occupancy calculator allows, which is what versions 2 and 3 differ in.
 * The kernel: 128 x 128 tiles of C per block of 8 warps (2 x 4), each warp 64 x 32 as 4 x 4 mma.sync m16n8k8 TF32
 * tiles; A's and B's 128 x 32 slabs copied to shared memory with cp.async, two stages; each slab kept in the order
 * it has in device memory (k or m/n contiguous), with rows padded so that a fragment's 32 loads hit 32 banks.
 * Fragment layouts are PTX's for m16n8k8 .tf32 (groupID = lane / 4, t = lane % 4): A a0 (g, t), a1 (g + 8, t),
 * a2 (g, t + 4), a3 (g + 8, t + 4); B b0 (t, g), b1 (t + 4, g); C c0 (g, 2t), c1 (g, 2t + 1), c2 (g + 8, 2t),
 * c3 (g + 8, 2t + 1).
 */
#include <string>

#include "common.cuh"

constexpr int BM = 128;
constexpr int BN = 128;
constexpr int BK = 32;
constexpr int THREADS = 256;
constexpr int K_STRIDE = BK + 4;   /* a k-contiguous row of a slab: 36 floats, 4 m (n) * 36 + k hits 32 banks */
constexpr int MN_STRIDE = BM + 8;  /* an m/n-contiguous row: 136 floats, 8 k * 136 + m hits 32 banks */
constexpr int SLAB = BM * K_STRIDE; /* floats per operand per stage: the larger of 128 x 36 and 32 x 136 */
constexpr int SHARED_BYTES = 2 * 2 * SLAB * (int) sizeof(float); /* two operands, two stages: 73,728 bytes */

static_assert(BM * K_STRIDE >= BK * MN_STRIDE, "a stage holds either layout");

__device__ __forceinline__ unsigned int tf32_bits(float x) {
    unsigned int r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
}

__device__ __forceinline__ void mma_tf32(float c[4], const unsigned int a[4], const unsigned int b[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/*
 * One stage's slab of an operand, 1024 chunks of 16 bytes, 4 per thread. K_MAJOR: the operand's rows (m or n) are
 * k-contiguous in device memory (row-major A, or transposed B), else its k rows are m/n-contiguous. `base` points at
 * the slab's first element in device memory, `ld` is the stored row length.
 */
template <bool K_MAJOR>
__device__ __forceinline__ void load_slab(float *slab, const float *base, int ld) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int c = threadIdx.x + i * THREADS;
        if (K_MAJOR) {
            int row = c >> 3, k4 = (c & 7) * 4;
            copy16_async(slab + row * K_STRIDE + k4, base + (size_t) row * ld + k4, true);
        } else {
            int krow = c >> 5, x4 = (c & 31) * 4;
            copy16_async(slab + krow * MN_STRIDE + x4, base + (size_t) krow * ld + x4, true);
        }
    }
}

/* Element (x, k) of a slab, x the row (m or n) inside the tile. */
template <bool K_MAJOR>
__device__ __forceinline__ float at(const float *slab, int x, int k) {
    return K_MAJOR ? slab[x * K_STRIDE + k] : slab[k * MN_STRIDE + x];
}

/*
 * C (M x N, row-major) = op(A) op(B); TA: A stored K x M, TB: B stored N x K. PASSES 1: big x big; 3: 3xTF32.
 * BLOCKS: the blocks per SM the registers are held to.
 */
template <bool TA, bool TB, int PASSES, int BLOCKS>
__global__ void __launch_bounds__(THREADS, BLOCKS) gemm_tf32x(int m, int n, int k, const float *a, const float *b,
                                                              float *c) {
    constexpr bool A_K = !TA; /* row-major A has k contiguous */
    constexpr bool B_K = TB;  /* transposed B (N x K) has k contiguous */
    extern __shared__ __align__(16) float shared[];
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int g = lane >> 2, t = lane & 3;
    int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
    int bm = blockIdx.y * BM, bn = blockIdx.x * BN;
    float acc[4][4][4] = {};
    /* Where each operand's slab starts in device memory, for k0 = 0; the k step moves it by BK along k. */
    const float *a_base = TA ? a + bm : a + (size_t) bm * k;
    const float *b_base = TB ? b + (size_t) bn * k : b + bn;
    int lda = TA ? m : k, ldb = TB ? k : n;
    size_t a_step = TA ? (size_t) BK * m : BK, b_step = TB ? BK : (size_t) BK * n;
    int tiles = k / BK;
    load_slab<A_K>(shared, a_base, lda);
    load_slab<B_K>(shared + SLAB, b_base, ldb);
    asm volatile("cp.async.commit_group;\n" ::: "memory");
    for (int kt = 0; kt < tiles; kt++) {
        float *as = shared + (kt & 1) * 2 * SLAB, *bs = as + SLAB;
        if (kt + 1 < tiles) {
            float *next = shared + ((kt + 1) & 1) * 2 * SLAB;
            load_slab<A_K>(next, a_base + (kt + 1) * a_step, lda);
            load_slab<B_K>(next + SLAB, b_base + (kt + 1) * b_step, ldb);
            asm volatile("cp.async.commit_group;\n" ::: "memory");
            asm volatile("cp.async.wait_group 1;\n" ::: "memory");
        } else {
            asm volatile("cp.async.wait_group 0;\n" ::: "memory");
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk += 8) {
            unsigned int a_big[4][4], a_small[4][4], b_big[4][2], b_small[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; mi++) {
                int r = wm + mi * 16 + g;
                float v[4] = {at<A_K>(as, r, kk + t), at<A_K>(as, r + 8, kk + t), at<A_K>(as, r, kk + t + 4),
                              at<A_K>(as, r + 8, kk + t + 4)};
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    a_big[mi][j] = tf32_bits(v[j]);
                    a_small[mi][j] = tf32_bits(v[j] - __uint_as_float(a_big[mi][j]));
                }
            }
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {
                int col = wn + ni * 8 + g;
                float v[2] = {at<B_K>(bs, col, kk + t), at<B_K>(bs, col, kk + t + 4)};
#pragma unroll
                for (int j = 0; j < 2; j++) {
                    b_big[ni][j] = tf32_bits(v[j]);
                    b_small[ni][j] = tf32_bits(v[j] - __uint_as_float(b_big[ni][j]));
                }
            }
#pragma unroll
            for (int mi = 0; mi < 4; mi++) {
#pragma unroll
                for (int ni = 0; ni < 4; ni++) {
                    if (PASSES == 3) { /* the small terms first, so that big x big does not swamp them */
                        mma_tf32(acc[mi][ni], a_small[mi], b_big[ni]);
                        mma_tf32(acc[mi][ni], a_big[mi], b_small[ni]);
                    }
                    mma_tf32(acc[mi][ni], a_big[mi], b_big[ni]);
                }
            }
        }
        __syncthreads(); /* the stage is overwritten by the copies issued in the next iteration */
    }
#pragma unroll
    for (int mi = 0; mi < 4; mi++) {
#pragma unroll
        for (int ni = 0; ni < 4; ni++) {
            int r = bm + wm + mi * 16 + g, col = bn + wn + ni * 8 + 2 * t;
            *(float2 *) (c + (size_t) r * n + col) = make_float2(acc[mi][ni][0], acc[mi][ni][1]);
            *(float2 *) (c + (size_t) (r + 8) * n + col) = make_float2(acc[mi][ni][2], acc[mi][ni][3]);
        }
    }
}

template <bool TA, bool TB, int PASSES, int BLOCKS>
static void launch(const Product &p, const float *a, const float *b, float *c, cudaStream_t stream) {
    static bool ready = false;
    if (!ready) {
        CHECK_CUDA(cudaFuncSetAttribute(gemm_tf32x<TA, TB, PASSES, BLOCKS>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize, SHARED_BYTES));
        /* all of the SM's unified memory as shared, so that two blocks of 72 KB fit beside each other */
        CHECK_CUDA(cudaFuncSetAttribute(gemm_tf32x<TA, TB, PASSES, BLOCKS>,
                                        cudaFuncAttributePreferredSharedMemoryCarveout,
                                        cudaSharedmemCarveoutMaxShared));
        int blocks = 0;
        CHECK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, gemm_tf32x<TA, TB, PASSES, BLOCKS>, THREADS,
                                                                 SHARED_BYTES));
        std::printf("  (gemm_tf32x ta=%d tb=%d passes=%d: %d block(s) per SM)\n", TA, TB, PASSES, blocks);
        ready = true;
    }
    dim3 grid(p.n / BN, p.m / BM);
    gemm_tf32x<TA, TB, PASSES, BLOCKS><<<grid, THREADS, SHARED_BYTES, stream>>>(p.m, p.n, p.k, a, b, c);
}

template <int PASSES, int BLOCKS>
static void own(const Product &p, const float *a, const float *b, float *c, cudaStream_t stream) {
    if (!p.ta && !p.tb) {
        launch<false, false, PASSES, BLOCKS>(p, a, b, c, stream);
    } else if (!p.ta && p.tb) {
        launch<false, true, PASSES, BLOCKS>(p, a, b, c, stream);
    } else if (p.ta && !p.tb) {
        launch<true, false, PASSES, BLOCKS>(p, a, b, c, stream);
    } else {
        launch<true, true, PASSES, BLOCKS>(p, a, b, c, stream);
    }
}

static void run_product(const Product &p, Cublas *cublas, cudaStream_t stream) {
    size_t na = (size_t) p.m * p.k, nb = (size_t) p.k * p.n, nc = (size_t) p.m * p.n;
    std::vector<float> ha = normal(na, 1.0f, 1), hb = normal(nb, 1.0f, 2);
    float *da = to_device(ha), *db = to_device(hb), *dc = device_floats(nc);
    auto want = [&](size_t idx) { return product_reference(p, ha, hb, idx); };
    double flop = 2.0 * p.m * p.n * p.k;
    std::printf("\n%s: M=%d N=%d K=%d (%.1f GFLOP), us per product in a graph chain of 10\n", p.kind, p.m, p.n, p.k,
                flop / 1e9);
    std::printf("  %-18s %9s %9s %13s\n", "version", "us", "TFLOP/s", "error");
    std::fflush(stdout);
    /* Each row printed as soon as it is measured: a fault in a later version leaves the earlier rows. */
    auto row = [&](const std::string &name, const std::function<void()> &issue) {
        Measured r = check_and_time(stream, dc, nc, want, issue);
        std::printf("  %-18s %9.1f %9.1f %13.2e\n", name.c_str(), r.us, flop / r.us / 1e6, r.err);
        std::fflush(stdout);
    };
    if (cublas != nullptr) {
        row("0 cublas sgemm", [&] { cublas->sgemm_rows(p, da, db, dc, 0.0f); });
    }
    row("1 own tf32", [&] { own<1, 1>(p, da, db, dc, stream); });
    row("2 own 3xtf32", [&] { own<3, 1>(p, da, db, dc, stream); });
    row("3 own 3xtf32 x2", [&] { own<3, 2>(p, da, db, dc, stream); });
    for (float *d : {da, db, dc}) {
        CHECK_CUDA(cudaFree(d));
    }
}

int main(int argc, char **argv) {
    std::vector<int> shapes = shape_args(argc, argv, {1024, 4096, 4096}, "gemm_3xtf32_mma");
    for (size_t i = 0; i < shapes.size(); i += 3) {
        int m = shapes[i], n = shapes[i + 1], k = shapes[i + 2];
        /* the TN product swaps M and K, so both must fit the tiles either way */
        if (m <= 0 || n <= 0 || k <= 0 || m % BM != 0 || n % BN != 0 || k % BM != 0) {
            std::fprintf(stderr, "gemm_3xtf32_mma: M and K must be positive multiples of %d, N of %d; got %d %d %d\n",
                         BM, BN, m, n, k);
            return 2;
        }
    }
    Device d = open_device("gemm_3xtf32_mma");
    Cublas cublas;
    bool have_cublas = cublas.open(d.stream);
    for (size_t i = 0; i < shapes.size(); i += 3) {
        int m = shapes[i], n = shapes[i + 1], k = shapes[i + 2];
        for (const Product &p : layer_products(m, n, k)) {
            run_product(p, have_cublas ? &cublas : nullptr, d.stream);
        }
    }
    return 0;
}
