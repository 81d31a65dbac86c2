/*
 * gemm_wide_fp32.cu - wide4096's products (1024 x 4096 x 4096 and its transposes) accurate to about FP32's
 * rounding, on the H200's tensor cores instead of its FP32 units. cuBLAS's SGEMM, which PyTorch's FP32 step runs
 * too, alone takes 1.02x of the issue's FP32 target for this network (bench/RESULTS.md, "What the products alone
 * leave of each target"), so that target needs another way to the same accuracy.
 *
 * The way tried here (3xTF32: Ootomo and Yokota, 2022; CUTLASS's "fast accurate" SGEMM): split every operand x into
 * big = tf32(x) and small = tf32(x - big), both exact TF32 values, and sum three TF32 products in FP32:
 * A B ~ small_A big_B + big_A small_B + big_A big_B. What is left out (small_A small_B, and small's own rounding)
 * is about 2^-22 of |A| |B|, the order of FP32's own rounding; each product runs on tensor cores at several times
 * the FP32 units' rate, so three of them can still be faster than one SGEMM.
 *
 *   bash bench/gpu/dev/build.sh                  (nvcc -arch=sm_90; run-on-gpu.sh's dev stage runs it)
 *   gemm_wide_fp32 [M N K]...                    (default: wide4096's 1024 x 4096 x 4096, then mlp1024's
 *                                                 128 x 1024 x 1024, whose FP32 products at M = 128 run cuBLAS at
 *                                                 a third of the FP32 units' rate: does the tensor-core route help
 *                                                 there too, or do its extra launches cost more than they save?)
 * Each M N K runs as the step's three kinds of product, row-major as the library issues them: a layer's forward
 * Y = X W (NN), its input gradient dX = dY W^T (NT, K the layer's outputs), its weight gradient dW = X^T dY (TN,
 * K the batch: the shape M N K becomes K N M there, 4096 x 4096 x 1024).
 *
 * Versions (each writes C = op(A) op(B)):
 *   0  cuBLAS SGEMM: FP32 units, what the library and PyTorch run now; the accuracy and time to match
 *   1  cuBLAS TF32 (CUBLAS_COMPUTE_32F_FAST_TF32), one product: the speed of light here, at TF32's 2^-11 rounding
 *   2  the split (one kernel per operand), then three cuBLAS TF32 products into C, the small terms first
 *   3  the three products alone, the operands split beforehand: what it costs where the splits come for free (the
 *      optimizer writing the weights' split with the weights, the layer below writing its output's)
 *   4  cuBLAS's own FP32 emulation (CUBLAS_COMPUTE_32F_EMULATED_16BFX9, eager strategy): BF16x9, made for
 *      Blackwell; on Hopper cuBLAS may run a plain FP32 kernel instead, which its time shows
 *   5  the operands themselves as the big parts (cuBLAS's TF32 products convert them), with small = x - trunc(x):
 *      FP32-accurate only if cuBLAS truncates to TF32; then a layer needs to keep only the small parts (half the
 *      split's memory: wide4096's weights alone are 64 MB a layer)
 *   6  the same with small = x - rna(x) (version 2's): FP32-accurate only if cuBLAS rounds ties away from zero
 *   7  the same with small = x - rn(x): FP32-accurate only if cuBLAS rounds ties to even (6 then misses only on
 *      exact ties, about one value in 8192, so its error sits between FP32's and TF32's)
 * (Version 1's own error hints the same way: about 6e-4 when cuBLAS truncates, 2e-4 when it rounds.)
 * Each version is checked on 256 sampled outputs against float64 and its error printed beside SGEMM's; each is
 * timed as a chain of 10 products in a CUDA graph, replayed 10 times (common.cuh).
 */
#include <string>

#include "common.cuh"

constexpr int COMPUTE_32F = 68;             /* CUBLAS_COMPUTE_32F */
constexpr int COMPUTE_32F_FAST_TF32 = 77;   /* CUBLAS_COMPUTE_32F_FAST_TF32 */
constexpr int COMPUTE_32F_BF16X9 = 78;      /* CUBLAS_COMPUTE_32F_EMULATED_16BFX9 (cuBLAS 12.9 on) */
constexpr int R_32F = 0;                    /* CUDA_R_32F */
constexpr int EMULATION_DEFAULT = 0;        /* CUBLAS_EMULATION_STRATEGY_DEFAULT */
constexpr int EMULATION_EAGER = 2;          /* CUBLAS_EMULATION_STRATEGY_EAGER */

/* Round to nearest TF32 (10 explicit mantissa bits), ties away from zero: the conversion the tensor cores expect. */
__device__ __forceinline__ float to_tf32(float x) {
    unsigned int r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return __uint_as_float(r);
}

/* big = tf32(x), small = tf32(x - big); x - big is exact in FP32 (Sterbenz: the two agree in their top bits). */
__global__ void split_tf32(const float4 *x, float4 *big, float4 *small, size_t n4) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n4; i += (size_t) gridDim.x * blockDim.x) {
        float4 v = x[i];
        float4 b = make_float4(to_tf32(v.x), to_tf32(v.y), to_tf32(v.z), to_tf32(v.w));
        big[i] = b;
        small[i] = make_float4(to_tf32(v.x - b.x), to_tf32(v.y - b.y), to_tf32(v.z - b.z), to_tf32(v.w - b.w));
    }
}

/* Round to nearest TF32, ties to even. */
__device__ __forceinline__ float to_tf32_even(float x) {
    unsigned int r;
    asm("cvt.rn.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return __uint_as_float(r);
}

/* What is left of x below TF32's bits when cuBLAS's conversion takes them off (cut: truncation; else ties to even),
 * rounded to TF32. */
template <bool CUT>
__global__ void residual_tf32(const float4 *x, float4 *small, size_t n4) {
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n4; i += (size_t) gridDim.x * blockDim.x) {
        float4 v = x[i];
        auto residual = [](float f) {
            return to_tf32(f - (CUT ? __uint_as_float(__float_as_uint(f) & 0xFFFFE000u) : to_tf32_even(f)));
        };
        small[i] = make_float4(residual(v.x), residual(v.y), residual(v.z), residual(v.w));
    }
}

struct Operand {
    const float *x;
    float *big, *small, *small_cut, *small_even; /* x - trunc(x) for version 5, x - rn(x) for version 7 */
    size_t n;
};

static void split(const Operand &o, cudaStream_t stream) {
    size_t n4 = o.n / 4;
    int blocks = (int) std::min<size_t>((n4 + 255) / 256, 132 * 8);
    split_tf32<<<blocks, 256, 0, stream>>>((const float4 *) o.x, (float4 *) o.big, (float4 *) o.small, n4);
}

/* Row-major C = op(A) op(B) + beta C with cuBLAS: SGEMM for COMPUTE_32F, cublasGemmEx for the others. */
static void gemm(Cublas &c, int compute, const Product &p, const float *a, const float *b, float *out, float beta) {
    if (compute == COMPUTE_32F) {
        c.sgemm_rows(p, a, b, out, beta);
    } else {
        c.gemm_ex_rows(p, compute, a, b, out, beta);
    }
}

/* The three TF32 products of big and small parts, the small terms first so that they are not lost against big's. */
static void three_products(Cublas &c, const Product &p, const float *a_big, const float *a_small, const float *b_big,
                           const float *b_small, float *out) {
    gemm(c, COMPUTE_32F_FAST_TF32, p, a_small, b_big, out, 0.0f);
    gemm(c, COMPUTE_32F_FAST_TF32, p, a_big, b_small, out, 1.0f);
    gemm(c, COMPUTE_32F_FAST_TF32, p, a_big, b_big, out, 1.0f);
}

struct Row {
    std::string name;
    double us, err;
};

static void run_product(const Product &p, Cublas &c, cudaStream_t stream) {
    size_t na = (size_t) p.m * p.k, nb = (size_t) p.k * p.n, nc = (size_t) p.m * p.n;
    std::vector<float> ha = normal(na, 1.0f, 1), hb = normal(nb, 1.0f, 2);
    float *da = to_device(ha), *db = to_device(hb), *dc = device_floats(nc);
    Operand a{da, device_floats(na), device_floats(na), device_floats(na), device_floats(na), na};
    Operand b{db, device_floats(nb), device_floats(nb), device_floats(nb), device_floats(nb), nb};
    auto want = [&](size_t idx) { return product_reference(p, ha, hb, idx); };
    std::vector<Row> rows;
    auto check = [&](const std::string &name, const std::function<void()> &issue) {
        Measured r = check_and_time(stream, dc, nc, want, issue);
        rows.push_back({name, r.us, r.err});
    };
    check("0 sgemm", [&] { gemm(c, COMPUTE_32F, p, da, db, dc, 0.0f); });
    if (c.gemm_ex == nullptr) {
        std::printf("  (versions 1-4 left out: this cuBLAS has no cublasGemmEx)\n");
    } else {
        check("1 tf32", [&] { gemm(c, COMPUTE_32F_FAST_TF32, p, da, db, dc, 0.0f); });
        check("2 split+3xtf32", [&] {
            split(a, stream);
            split(b, stream);
            three_products(c, p, a.big, a.small, b.big, b.small, dc);
        });
        /* the splits of version 2 stay for versions 3 and 6 */
        check("3 3xtf32 alone", [&] { three_products(c, p, a.big, a.small, b.big, b.small, dc); });
        if (c.set_emulation_strategy == nullptr || c.set_emulation_strategy(c.handle, EMULATION_EAGER) != 0) {
            std::printf("  (version 4 left out: this cuBLAS has no emulation strategy to set)\n");
        } else {
            /* called directly, not through gemm_ex_rows, whose check would end the program on a refusal */
            const float zero = 0.0f, one = 1.0f;
            int status = c.gemm_ex(c.handle, p.tb ? 1 : 0, p.ta ? 1 : 0, p.n, p.m, p.k, &one, db, R_32F,
                                   p.tb ? p.k : p.n, da, R_32F, p.ta ? p.m : p.k, &zero, dc, R_32F, p.n,
                                   COMPUTE_32F_BF16X9, -1);
            if (status != 0) {
                std::printf("  (version 4 left out: cublasGemmEx with BF16x9 emulation returned status %d)\n", status);
            } else {
                check("4 cublas bf16x9", [&] { gemm(c, COMPUTE_32F_BF16X9, p, da, db, dc, 0.0f); });
            }
            CHECK_CUBLAS(c.set_emulation_strategy(c.handle, EMULATION_DEFAULT));
        }
        for (const Operand *o : {&a, &b}) {
            size_t n4 = o->n / 4;
            int blocks = (int) std::min<size_t>((n4 + 255) / 256, 132 * 8);
            residual_tf32<true><<<blocks, 256, 0, stream>>>((const float4 *) o->x, (float4 *) o->small_cut, n4);
            residual_tf32<false><<<blocks, 256, 0, stream>>>((const float4 *) o->x, (float4 *) o->small_even, n4);
        }
        check("5 x+cut residual", [&] { three_products(c, p, da, a.small_cut, db, b.small_cut, dc); });
        check("6 x+rna residual", [&] { three_products(c, p, da, a.small, db, b.small, dc); });
        check("7 x+rn residual", [&] { three_products(c, p, da, a.small_even, db, b.small_even, dc); });
    }
    double flop = 2.0 * p.m * p.n * p.k;
    std::printf("\n%s: M=%d N=%d K=%d (%.1f GFLOP), us per product in a graph chain of 10\n", p.kind, p.m, p.n, p.k,
                flop / 1e9);
    std::printf("  %-18s %9s %9s %11s %13s\n", "version", "us", "TFLOP/s", "/ sgemm", "error");
    double sgemm_err = rows.empty() ? 0.0 : rows[0].err;
    for (const Row &r : rows) {
        /* FP32-accurate means within 8x of SGEMM's own error; TF32 (version 1) is expected to miss that. */
        bool accurate = r.err <= 8.0 * sgemm_err + 1e-7;
        std::printf("  %-18s %9.1f %9.1f %11.3f %13.2e %s\n", r.name.c_str(), r.us, flop / r.us / 1e6,
                    r.us / rows[0].us, r.err, accurate ? "fp32-accurate" : "less accurate");
    }
    std::fflush(stdout);
    if (rows.size() > 1 && rows[1].err <= 8.0 * sgemm_err + 1e-7) {
        std::printf("  (version 1 is FP32-accurate: cuBLAS did not use TF32 here, e.g. NVIDIA_TF32_OVERRIDE=0, so "
                    "versions 5-7 count their small terms twice and say nothing)\n");
    }
    for (float *d : {da, db, dc, a.big, a.small, a.small_cut, a.small_even, b.big, b.small, b.small_cut,
                     b.small_even}) {
        CHECK_CUDA(cudaFree(d));
    }
}

int main(int argc, char **argv) {
    std::vector<int> shapes = shape_args(argc, argv, {1024, 4096, 4096, 128, 1024, 1024}, "gemm_wide_fp32");
    Device d = open_device("gemm_wide_fp32");
    Cublas cublas;
    if (!cublas.open(d.stream)) {
        std::printf("gemm_wide_fp32: every version is cuBLAS's; nothing to run\n");
        return 1;
    }
    for (size_t i = 0; i < shapes.size(); i += 3) {
        int m = shapes[i], n = shapes[i + 1], k = shapes[i + 2];
        if ((size_t) m * k % 4 != 0 || (size_t) k * n % 4 != 0) {
            std::fprintf(stderr, "gemm_wide_fp32: M*K and K*N must be multiples of 4 (float4 splits), got %d %d %d\n",
                         m, n, k);
            return 2;
        }
        for (const Product &p : layer_products(m, n, k)) {
            run_product(p, cublas, d.stream);
        }
    }
    return 0;
}
