/*
 * wgrad_adam.cu - a dense layer's weight gradient and its Adam update at the course networks' small batches:
 * dW = x^T dz (x: B x M, dz: B x N, row-major, B = 64 or 128), then Adam on W (M x N). In a training step the first
 * layer's pair is the last thing on the critical path (session 15 timed its product at 6.7 us on cuBLAS, 15
 * TFLOP/s, for mlp512's 784 x 512, and the update follows as a kernel of its own), so the question is whether one
 * kernel that keeps each tile of dW in registers and updates the weights from there beats cuBLAS plus the update.
 * llm.c's dev/cuda manner: a float64 reference, numbered versions, each checked and timed in a graph beside cuBLAS.
 *
 *   bash bench/gpu/dev/build.sh                  (nvcc -arch=sm_90; run-on-gpu.sh's dev stage runs it)
 *   wgrad_adam [M N B]...                        (default: mlp512's, mlp1024's and bn256's layers)
 *
 * Versions (each leaves W, m and v updated; 1 and 2 also dW):
 *   1  cuBLAS's product, then the Adam kernel
 *   2  one 64 x 64 tile of dW per block, the whole batch (B rows of x and dz) copied to shared memory at once
 *      (cp.async; both slabs are contiguous along the tile, so no transposition), then the Adam kernel
 *   3  version 2 with Adam in the product's epilogue: dW never leaves registers, one launch
 *   4  version 3 with 32 x 64 tiles: twice the blocks (784 x 512 is 104 tiles of 64 x 64 on 132 multiprocessors)
 * Adam: Keras's, with both bias corrections folded into one step size (as kernels/common/optimizers.h does).
 * The state (at most 16 MB here) stays in the H200's 50 MB L2 across the 20 timed replays, where a training step's
 * would be colder: read the gaps between versions, more than the absolute times.
 */
#include <string>

#include "common.cuh"

constexpr int BN = 64;
constexpr float B1 = 0.9f;
constexpr float B2 = 0.999f;
constexpr float EPS = 1e-7f;

struct Problem {
    int m, n, batch;
    float *x, *dz, *w, *mom, *vel, *dw; /* device */
    std::vector<float> hx, hdz, hw, hm, hv;
    float step_size;
};

/* Keras Adam on one weight: m, v updated, then w -= step * m / (sqrt(v) + eps). */
__host__ __device__ __forceinline__ void adam(float g, float step, float &w, float &m, float &v) {
    m = B1 * m + (1.0f - B1) * g;
    v = B2 * v + (1.0f - B2) * g * g;
    w -= step * m / (sqrtf(v) + EPS);
}

/* The float64 weight after one step, for output i (the same formula, in double). */
static double reference_weight(const Problem &p, size_t i) {
    int r = (int) (i / p.n);
    int c = (int) (i % p.n);
    double g = 0.0;
    for (int b = 0; b < p.batch; b++) {
        g += (double) p.hx[(size_t) b * p.m + r] * p.hdz[(size_t) b * p.n + c];
    }
    double m = B1 * (double) p.hm[i] + (1.0 - B1) * g;
    double v = B2 * (double) p.hv[i] + (1.0 - B2) * g * g;
    return p.hw[i] - p.step_size * m / (std::sqrt(v) + EPS);
}

__global__ void adam_kernel(const float *g, float *w, float *m, float *v, int n, float step) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float wi = w[i], mi = m[i], vi = v[i];
        adam(g[i], step, wi, mi, vi);
        w[i] = wi;
        m[i] = mi;
        v[i] = vi;
    }
}

/*
 * A BM x 64 tile of dW = x^T dz over the whole batch: xs[b][0..BM) and ds[b][0..64) copied at once, then each of
 * the BM * 4 threads sums its 4 x 4 outputs over b. With ADAM the epilogue updates the weights from the sums;
 * without, it stores dW. Needs m and n multiples of 4 (16-byte rows).
 */
template <int BM, bool ADAM>
__global__ void __launch_bounds__(BM * 4) wgrad(const float *x, const float *dz, float *dw, float *w, float *mom,
                                                float *vel, int m, int n, int batch, float step) {
    extern __shared__ __align__(16) float smem[];
    float *xs = smem;              /* [batch][BM] */
    float *ds = smem + batch * BM; /* [batch][BN] */
    int row0 = blockIdx.y * BM;
    int col0 = blockIdx.x * BN;
    for (int e = threadIdx.x; e < batch * (BM / 4); e += blockDim.x) {
        int b = e / (BM / 4);
        int r = (e % (BM / 4)) * 4;
        bool valid = row0 + r < m;
        copy16_async(xs + b * BM + r, valid ? x + (size_t) b * m + row0 + r : x, valid);
    }
    for (int e = threadIdx.x; e < batch * (BN / 4); e += blockDim.x) {
        int b = e / (BN / 4);
        int c = (e % (BN / 4)) * 4;
        bool valid = col0 + c < n;
        copy16_async(ds + b * BN + c, valid ? dz + (size_t) b * n + col0 + c : dz, valid);
    }
    copies_done();
    int tx = threadIdx.x & 15; /* columns tx*4.. */
    int ty = threadIdx.x >> 4; /* rows ty*4.. */
    float acc[4][4] = {};
    for (int b = 0; b < batch; b++) {
        float4 a = *reinterpret_cast<const float4 *>(xs + b * BM + ty * 4);
        float4 d = *reinterpret_cast<const float4 *>(ds + b * BN + tx * 4);
        float av[4] = {a.x, a.y, a.z, a.w};
        float dv[4] = {d.x, d.y, d.z, d.w};
        fma_4x4(av, dv, acc);
    }
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty * 4 + i;
        if (r >= m) {
            continue;
        }
        int c = col0 + tx * 4;
        if (c >= n) { /* n is a multiple of 4: a thread's four columns are all in or all out */
            continue;
        }
        size_t at = (size_t) r * n + c;
        if (ADAM) {
            float4 wv = *reinterpret_cast<float4 *>(w + at);
            float4 mv = *reinterpret_cast<float4 *>(mom + at);
            float4 vv = *reinterpret_cast<float4 *>(vel + at);
            adam(acc[i][0], step, wv.x, mv.x, vv.x);
            adam(acc[i][1], step, wv.y, mv.y, vv.y);
            adam(acc[i][2], step, wv.z, mv.z, vv.z);
            adam(acc[i][3], step, wv.w, mv.w, vv.w);
            *reinterpret_cast<float4 *>(w + at) = wv;
            *reinterpret_cast<float4 *>(mom + at) = mv;
            *reinterpret_cast<float4 *>(vel + at) = vv;
        } else {
            *reinterpret_cast<float4 *>(dw + at) = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        }
    }
}

struct Row {
    std::string name;
    double us;
    double err;
};

static void run_shape(int m, int n, int batch, cudaStream_t stream, Cublas *cublas, int max_shared) {
    size_t mn = (size_t) m * n;
    Problem p{m, n, batch, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
              uniform((size_t) batch * m, 0.0f, 1.0f, 1), normal((size_t) batch * n, 0.01f, 2),
              normal(mn, 0.05f, 3), normal(mn, 1e-3f, 4), uniform(mn, 0.0f, 1e-6f, 5), 0.0f};
    int t = 10; /* the step after nine others: both bias corrections matter */
    p.step_size = (float) (1e-3 * std::sqrt(1.0 - std::pow((double) B2, t)) / (1.0 - std::pow((double) B1, t)));
    p.x = to_device(p.hx);
    p.dz = to_device(p.hdz);
    p.w = to_device(p.hw);
    p.mom = to_device(p.hm);
    p.vel = to_device(p.hv);
    CHECK_CUDA(cudaMalloc(&p.dw, mn * sizeof(float)));
    int adam_blocks = (int) std::min<size_t>((mn + 255) / 256, 1024);
    auto reset = [&] {
        CHECK_CUDA(cudaMemcpy(p.w, p.hw.data(), mn * sizeof(float), cudaMemcpyHostToDevice));
        CHECK_CUDA(cudaMemcpy(p.mom, p.hm.data(), mn * sizeof(float), cudaMemcpyHostToDevice));
        CHECK_CUDA(cudaMemcpy(p.vel, p.hv.data(), mn * sizeof(float), cudaMemcpyHostToDevice));
        CHECK_CUDA(cudaMemset(p.dw, 0xFF, mn * sizeof(float))); /* NaN: a dW element a version skips shows */
        CHECK_CUDA(cudaDeviceSynchronize()); /* there before the timing stream's kernels read them */
    };
    std::vector<Row> rows;
    auto check = [&](const std::string &name, const std::function<void()> &issue) {
        reset();
        issue();
        CHECK_CUDA(cudaGetLastError());
        cudaError_t e = cudaStreamSynchronize(stream);
        if (e != cudaSuccess) {
            std::printf("  %-14s failed: %s\n", name.c_str(), cudaGetErrorString(e));
            std::exit(1);
        }
        /* The weights' change is what Adam adds; its error relative to the step size, not to the weights. */
        std::vector<float> got = to_host(p.w, mn);
        double worst = 0.0;
        std::mt19937 g(7);
        std::uniform_int_distribution<size_t> pick(0, mn - 1);
        for (int s = 0; s < 4096; s++) {
            size_t i = pick(g);
            double d = std::fabs((double) got[i] - reference_weight(p, i));
            if (!(d <= worst)) { /* a NaN sticks */
                worst = d;
            }
        }
        rows.push_back({name, time_in_graph(stream, issue), worst / p.step_size});
    };
    bool aligned = m % 4 == 0 && n % 4 == 0;
    if (cublas != nullptr) {
        const float one = 1.0f;
        const float zero = 0.0f;
        /* Row-major dW = x^T dz is column-major dW^T = dz^T x: dz as is (ld n), x transposed (ld m). */
        check("1 cublas+adam", [&] {
            CHECK_CUBLAS(cublas->sgemm(cublas->handle, 0, 1, n, m, batch, &one, p.dz, n, p.x, m, &zero, p.dw, n));
            adam_kernel<<<adam_blocks, 256, 0, stream>>>(p.dw, p.w, p.mom, p.vel, (int) mn, p.step_size);
        });
    }
    size_t bytes64 = (size_t) batch * (64 + BN) * sizeof(float);
    size_t bytes32 = (size_t) batch * (32 + BN) * sizeof(float);
    if (!aligned || bytes64 > (size_t) max_shared) {
        std::printf("  (versions 2-4 left out: they need M and N multiples of 4 and %zu bytes of shared memory)\n",
                    bytes64);
    } else {
        CHECK_CUDA(cudaFuncSetAttribute(wgrad<64, false>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int) bytes64));
        CHECK_CUDA(cudaFuncSetAttribute(wgrad<64, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int) bytes64));
        CHECK_CUDA(cudaFuncSetAttribute(wgrad<32, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int) bytes32));
        dim3 grid64((n + BN - 1) / BN, (m + 63) / 64);
        dim3 grid32((n + BN - 1) / BN, (m + 31) / 32);
        check("2 tile+adam", [&] {
            wgrad<64, false><<<grid64, 256, bytes64, stream>>>(p.x, p.dz, p.dw, p.w, p.mom, p.vel, m, n, batch,
                                                                 p.step_size);
            adam_kernel<<<adam_blocks, 256, 0, stream>>>(p.dw, p.w, p.mom, p.vel, (int) mn, p.step_size);
        });
        check("3 fused 64x64", [&] {
            wgrad<64, true><<<grid64, 256, bytes64, stream>>>(p.x, p.dz, p.dw, p.w, p.mom, p.vel, m, n, batch,
                                                                p.step_size);
        });
        check("4 fused 32x64", [&] {
            wgrad<32, true><<<grid32, 128, bytes32, stream>>>(p.x, p.dz, p.dw, p.w, p.mom, p.vel, m, n, batch,
                                                                p.step_size);
        });
    }
    std::printf("\nM=%d N=%d batch=%d (%.0f MFLOP, %.1f MB of Adam state), us per op in a graph chain of 20\n", m,
                n, batch, 2.0 * mn * batch / 1e6, 16.0 * mn / 1e6);
    std::printf("  %-14s %9s %14s\n", "version", "us/op", "error / step");
    for (const Row &r : rows) {
        std::printf("  %-14s %9.2f %14.2e %s\n", r.name.c_str(), r.us, r.err, r.err < 1e-3 ? "ok" : "WRONG");
    }
    std::fflush(stdout);
    for (float *d : {p.x, p.dz, p.w, p.mom, p.vel, p.dw}) {
        CHECK_CUDA(cudaFree(d));
    }
}

int main(int argc, char **argv) {
    /* mlp512's first and second layers, mlp1024's, bn256's first */
    return run_shapes(argc, argv, {784, 512, 128, 512, 512, 128, 784, 1024, 128, 1024, 1024, 128, 784, 256, 64},
                      "wgrad_adam", [](int m, int n, int batch, const Device &d, Cublas *cublas) {
        run_shape(m, n, batch, d.stream, cublas, (int) d.prop.sharedMemPerBlockOptin);
    });
}
