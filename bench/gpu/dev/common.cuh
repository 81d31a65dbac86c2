/*
 * common.cuh - what the kernel explorations in bench/gpu/dev share (llm.c's dev/cuda/common.h in spirit): error
 * checks, random data, a sampled float64 check against a reference, timing the way a training step runs (a CUDA
 * graph holding a chain of the op, replayed back to back), and cuBLAS opened at run time.
 *
 * cuBLAS is opened with dlopen because the machine that builds these programs has CUDA's compiler but no cuBLAS;
 * the GPU machine has libcublas.so.13 (the same library the CUDA backend reaches through native/cublas12). Only
 * the few entry points the explorations compare against are declared, with cuBLAS's documented signatures.
 */
#pragma once

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../../../native/launch/cublaslt_api.h"

#define CHECK_CUDA(call)                                                                                      \
    do {                                                                                                      \
        cudaError_t e_ = (call);                                                                              \
        if (e_ != cudaSuccess) {                                                                              \
            std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            std::exit(1);                                                                                     \
        }                                                                                                     \
    } while (0)

/* Device buffer of n floats holding host's values, there once this returns (the explorations time on a stream of
 * their own, which a pageable copy on the legacy stream would not wait for). */
inline float *to_device(const std::vector<float> &host) {
    float *d = nullptr;
    CHECK_CUDA(cudaMalloc(&d, host.size() * sizeof(float)));
    CHECK_CUDA(cudaMemcpy(d, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaDeviceSynchronize());
    return d;
}

inline std::vector<float> to_host(const float *d, size_t n) {
    std::vector<float> host(n);
    CHECK_CUDA(cudaMemcpy(host.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
    return host;
}

inline std::vector<float> uniform(size_t n, float lo, float hi, unsigned seed) {
    std::mt19937 g(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto &x : v) {
        x = d(g);
    }
    return v;
}

inline std::vector<float> normal(size_t n, float stddev, unsigned seed) {
    std::mt19937 g(seed);
    std::normal_distribution<float> d(0.0f, stddev);
    std::vector<float> v(n);
    for (auto &x : v) {
        x = d(g);
    }
    return v;
}

/*
 * The largest |got - want| over `samples` outputs drawn at random (the same ones for every version), or over every
 * output with samples 0, relative to max(1, the largest |want| seen): want(i) computes output i in float64.
 */
inline double sampled_error(const std::vector<float> &got, const std::function<double(size_t)> &want,
                            size_t samples, unsigned seed) {
    std::mt19937 g(seed);
    std::uniform_int_distribution<size_t> pick(0, got.size() - 1);
    double worst = 0.0;
    double scale = 1.0;
    size_t count = samples == 0 ? got.size() : samples;
    for (size_t s = 0; s < count; s++) {
        size_t i = samples == 0 ? s : pick(g);
        double w = want(i);
        scale = std::fmax(scale, std::fabs(w));
        double d = std::fabs((double) got[i] - w);
        if (!(d <= worst)) { /* a NaN sticks (fmax would drop it) */
            worst = d;
        }
    }
    return worst / scale;
}

/* A kernel that keeps the device busy for about a millisecond (common.cuh's end defines it). */
inline void queue_ahead(cudaStream_t stream);

/*
 * Milliseconds the device spends on what `work` issues on `stream`, between two events. About a millisecond of work
 * goes ahead of them, so that the host has queued `work` before the device gets there: what is timed is the
 * device's work and its gaps, not how fast the host submits.
 */
inline double device_ms(cudaStream_t stream, const std::function<void()> &work) {
    cudaEvent_t start, stop;
    CHECK_CUDA(cudaEventCreate(&start));
    CHECK_CUDA(cudaEventCreate(&stop));
    queue_ahead(stream);
    CHECK_CUDA(cudaEventRecord(start, stream));
    work();
    CHECK_CUDA(cudaEventRecord(stop, stream));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float ms = 0.0f;
    CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
    CHECK_CUDA(cudaEventDestroy(start));
    CHECK_CUDA(cudaEventDestroy(stop));
    return ms;
}

/* The M N K (or M N B) triples on the command line, else `defaults`; exits naming the program on a bad count. */
inline std::vector<int> shape_args(int argc, char **argv, std::vector<int> defaults, const char *program) {
    std::vector<int> shapes;
    for (int i = 1; i < argc; i++) {
        shapes.push_back(std::atoi(argv[i]));
    }
    if (shapes.empty()) {
        shapes = defaults;
    }
    if (shapes.size() % 3 != 0) {
        std::fprintf(stderr, "%s: expected triples of sizes, got %zu numbers\n", program, shapes.size());
        std::exit(2);
    }
    return shapes;
}

/*
 * Microseconds per op: `issue` (the op's launches on `stream`) recorded `chain` times into one graph, the graph
 * launched once to warm up, then `launches` times back to back between two events. In a training step each op is
 * a node of one graph, right after another, so this counts the kernels and the gaps between them as a step does.
 */
inline double time_in_graph(cudaStream_t stream, const std::function<void()> &issue, int chain = 20,
                            int launches = 20) {
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CHECK_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < chain; i++) {
        issue();
    }
    CHECK_CUDA(cudaGetLastError()); /* a launch refused inside the capture names itself here */
    CHECK_CUDA(cudaStreamEndCapture(stream, &graph));
    CHECK_CUDA(cudaGraphInstantiate(&exec, graph, 0));
    CHECK_CUDA(cudaGraphLaunch(exec, stream));
    double ms = device_ms(stream, [&] {
        for (int i = 0; i < launches; i++) {
            CHECK_CUDA(cudaGraphLaunch(exec, stream));
        }
    });
    CHECK_CUDA(cudaGraphExecDestroy(exec));
    CHECK_CUDA(cudaGraphDestroy(graph));
    return 1000.0 * ms / ((double) chain * launches);
}

/* ------------------------------------------------------------------ device helpers the kernels share */

/* acc[i][j] += a[i] * b[j]: one step of a thread's 4 x 4 register tile. */
__device__ __forceinline__ void fma_4x4(const float a[4], const float b[4], float acc[4][4]) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 4; j++) {
            acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
    }
}

/* 16 bytes from global to shared memory without passing through registers; zeros when `valid` is false. */
__device__ __forceinline__ void copy16_async(float *dst, const float *src, bool valid) {
    unsigned int d = (unsigned int) __cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 16 : 0)
                 : "memory");
}

/* Waits for this thread's cp.async copies, then for the block's: the shared memory is filled after it. */
__device__ __forceinline__ void copies_done() {
    asm volatile("cp.async.wait_all;\n" ::: "memory");
    __syncthreads();
}

/*
 * y = relu(the S partial products (S x m x n) summed in slice order, + b[column]): the second kernel of a product
 * split over k (cuBLAS's strided-batched slices, or a kernel's), as the backend's gemm_fold_bias_activation; S = 1
 * reads a whole product. One thread per output, grid-stride.
 */
__global__ void fold_bias_relu(const float *partials, int slices, const float *b, float *y, int m, int n) {
    size_t mn = (size_t) m * n;
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < mn; i += (size_t) gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (int z = 0; z < slices; z++) {
            s += partials[z * mn + i];
        }
        s += b[i % n];
        y[i] = s > 0.0f ? s : 0.0f;
    }
}

/* ------------------------------------------------------------------ cuBLAS, opened at run time */

#define CHECK_CUBLAS(call)                                                                                    \
    do {                                                                                                      \
        int s_ = (call);                                                                                      \
        if (s_ != 0) {                                                                                        \
            std::fprintf(stderr, "%s:%d: %s failed: cuBLAS status %d\n", __FILE__, __LINE__, #call, s_);       \
            std::exit(1);                                                                                     \
        }                                                                                                     \
    } while (0)

/* About 50 ms of work before the first timing, so that the first rows are not timed at idle clocks. */
inline void warm_up(cudaStream_t stream);

/* ------------------------------------------------------------------ row-major products, as the library issues them */

/* C (m x n, row-major) = op(A) op(B): A stored k x m when ta (used transposed), B stored n x k when tb. */
struct Product {
    const char *kind;
    int m, n, k;
    bool ta, tb;
};

/* A dense layer's three products for a batch of m, k inputs and n outputs: forward, input and weight gradient. */
inline std::vector<Product> layer_products(int m, int n, int k) {
    return {{"forward Y = X W", m, n, k, false, false},
            {"input gradient dX = dY W^T", m, n, k, false, true},
            {"weight gradient dW = X^T dY", k, n, m, true, false}};
}

/* Output idx of op(A) op(B) in float64, from A and B as stored on the host. */
inline double product_reference(const Product &p, const std::vector<float> &a, const std::vector<float> &b,
                                size_t idx) {
    size_t r = idx / p.n, col = idx % p.n;
    double s = 0.0;
    for (int i = 0; i < p.k; i++) {
        double x = p.ta ? a[(size_t) i * p.m + r] : a[r * p.k + i];
        double y = p.tb ? b[col * p.k + i] : b[(size_t) i * p.n + col];
        s += x * y;
    }
    return s;
}

struct Measured {
    double us, err;
};

/*
 * A product's version, checked and timed: `issue` run once into c (n floats, first filled with NaN, so that an
 * output left unwritten shows), 256 sampled outputs checked against want (sampled_error), then microseconds per
 * product as a chain of 10 in a graph replayed 10 times.
 */
inline Measured check_and_time(cudaStream_t stream, float *c, size_t n, const std::function<double(size_t)> &want,
                               const std::function<void()> &issue) {
    CHECK_CUDA(cudaMemsetAsync(c, 0xFF, n * sizeof(float), stream));
    issue();
    CHECK_CUDA(cudaGetLastError());
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double err = sampled_error(to_host(c, n), want, 256, 11);
    return {time_in_graph(stream, issue, 10, 10), err};
}

inline float *device_floats(size_t n) {
    float *d = nullptr;
    CHECK_CUDA(cudaMalloc(&d, n * sizeof(float)));
    return d;
}

/*
 * A CUDA library by soname: the path in environment variable `variable` if set, else the loader's search (which
 * also finds a copy already loaded, say cuBLASLt after cuBLAS), else CUDA's usual folders; null if none opens.
 */
inline void *open_cuda_library(const char *variable, const char *soname) {
    std::string names[] = {getenv(variable) != nullptr ? getenv(variable) : "", soname,
                           std::string("/usr/local/cuda/lib64/") + soname,
                           std::string("/usr/local/cuda/targets/x86_64-linux/lib/") + soname};
    for (const std::string &n : names) {
        void *lib = n.empty() ? nullptr : dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (lib != nullptr) {
            return lib;
        }
    }
    return nullptr;
}

struct Cublas {
    using Handle = void *;
    int (*create)(Handle *) = nullptr;
    int (*destroy)(Handle) = nullptr;
    int (*set_stream)(Handle, cudaStream_t) = nullptr;
    int (*set_workspace)(Handle, void *, size_t) = nullptr;
    /* cublasSgemm_v2 (column-major; op 0 = N, 1 = T) */
    int (*sgemm)(Handle, int, int, int, int, int, const float *, const float *, int, const float *, int,
                 const float *, float *, int) = nullptr;
    /* cublasSgemmStridedBatched */
    int (*sgemm_batched)(Handle, int, int, int, int, int, const float *, const float *, int, long long,
                         const float *, int, long long, const float *, float *, int, long long, int) = nullptr;
    /* cublasGemmEx (types as cudaDataType_t, 0 = CUDA_R_32F; compute as cublasComputeType_t; algo -1 = default) and
     * cublasSetEmulationStrategy (cuBLAS 12.9 on): optional, null where this cuBLAS lacks them. */
    int (*gemm_ex)(Handle, int, int, int, int, int, const void *, const void *, int, int, const void *, int, int,
                   const void *, void *, int, int, int, int) = nullptr;
    int (*set_emulation_strategy)(Handle, int) = nullptr;
    Handle handle = nullptr;
    void *workspace = nullptr;

    /*
     * Row-major C = op(A) op(B) + beta C with SGEMM. cuBLAS is column-major: C^T = op(B)^T op(A)^T, so B goes
     * first, and a row-major matrix is its transpose in column-major order, its row length the leading dimension.
     */
    void sgemm_rows(const Product &p, const float *a, const float *b, float *c, float beta) const {
        const float one = 1.0f;
        CHECK_CUBLAS(sgemm(handle, p.tb ? 1 : 0, p.ta ? 1 : 0, p.n, p.m, p.k, &one, b, p.tb ? p.k : p.n, a,
                           p.ta ? p.m : p.k, &beta, c, p.n));
    }

    /* The same with cublasGemmEx and a compute type (cublasComputeType_t), FP32 operands and output. */
    void gemm_ex_rows(const Product &p, int compute, const float *a, const float *b, float *c, float beta) const {
        const float one = 1.0f;
        CHECK_CUBLAS(gemm_ex(handle, p.tb ? 1 : 0, p.ta ? 1 : 0, p.n, p.m, p.k, &one, b, 0 /* CUDA_R_32F */,
                             p.tb ? p.k : p.n, a, 0, p.ta ? p.m : p.k, &beta, c, 0, p.n, compute, -1));
    }

    /* False (with the reason printed) where libcublas.so.13 cannot be opened: the cuBLAS rows are then left out. */
    bool open(cudaStream_t stream) {
        void *lib = open_cuda_library("DENDRITE_CUBLAS", "libcublas.so.13");
        if (lib == nullptr) {
            std::printf("cuBLAS: libcublas.so.13 not found (%s); its rows are left out\n", dlerror());
            return false;
        }
        create = (int (*)(Handle *)) dlsym(lib, "cublasCreate_v2");
        destroy = (int (*)(Handle)) dlsym(lib, "cublasDestroy_v2");
        set_stream = (int (*)(Handle, cudaStream_t)) dlsym(lib, "cublasSetStream_v2");
        set_workspace = (int (*)(Handle, void *, size_t)) dlsym(lib, "cublasSetWorkspace_v2");
        sgemm = (decltype(sgemm)) dlsym(lib, "cublasSgemm_v2");
        sgemm_batched = (decltype(sgemm_batched)) dlsym(lib, "cublasSgemmStridedBatched");
        gemm_ex = (decltype(gemm_ex)) dlsym(lib, "cublasGemmEx");
        set_emulation_strategy = (decltype(set_emulation_strategy)) dlsym(lib, "cublasSetEmulationStrategy");
        if (!create || !destroy || !set_stream || !set_workspace || !sgemm || !sgemm_batched || create(&handle) != 0) {
            std::printf("cuBLAS: an entry point is missing or cublasCreate failed; its rows are left out\n");
            return false;
        }
        /* A workspace of its own, so that nothing is allocated while a graph is captured. */
        size_t bytes = 32u << 20;
        CHECK_CUDA(cudaMalloc(&workspace, bytes));
        return set_stream(handle, stream) == 0 && set_workspace(handle, workspace, bytes) == 0;
    }
};

/*
 * cuBLASLt, opened at run time like cuBLAS: the entry points a product with an epilogue needs (bias, relu and their
 * gradients fused into the product's kernel). Their types, the heuristic result's layout and the plain product's
 * enum values are the backend's own (native/launch/cublaslt_api.h, checked against cublasLt.h by
 * check/blas_abi.sh); the epilogues and pointers only the explorations ask for are declared here.
 */
using LtAlgo = DendriteLtAlgo;
using LtHeuristic = DendriteLtHeuristic;

struct CublasLt {
    using Handle = void *;
    /* cublasComputeType_t, cudaDataType_t */
    static constexpr int COMPUTE_32F = DENDRITE_LT_COMPUTE_32F, R_32F = DENDRITE_LT_R_32F;
    /* cublasLtMatmulDescAttributes_t */
    static constexpr int DESC_TRANSA = DENDRITE_LT_DESC_TRANSA, DESC_TRANSB = DENDRITE_LT_DESC_TRANSB,
                         DESC_EPILOGUE = DENDRITE_LT_DESC_EPILOGUE, DESC_BIAS_POINTER = 8, DESC_AUX_POINTER = 11,
                         DESC_AUX_LD = 12;
    /* cublasLtEpilogue_t */
    static constexpr unsigned EPI_DEFAULT = DENDRITE_LT_EPILOGUE_DEFAULT, EPI_RELU_BIAS = 6, EPI_RELU_AUX_BIAS = 134,
                              EPI_DRELU_BGRAD = 152, EPI_BGRADA = 256;
    /* cublasLtMatmulPreferenceAttributes_t */
    static constexpr int PREF_MAX_WORKSPACE_BYTES = DENDRITE_LT_PREF_MAX_WORKSPACE_BYTES;

#define DENDRITE_DEV_LT_FIELD(field, function, type) type field = nullptr;
    DENDRITE_LT_ENTRY_POINTS(DENDRITE_DEV_LT_FIELD)
#undef DENDRITE_DEV_LT_FIELD
    const char *(*status_string)(int) = nullptr;
    Handle handle = nullptr;
    Handle preference = nullptr;
    void *workspace = nullptr;
    size_t workspace_bytes = 32u << 20;

    const char *status(int s) const {
        return status_string != nullptr ? status_string(s) : "(cublasLtGetStatusString missing)";
    }

    /*
     * False (with the reason printed) where libcublasLt.so.13 cannot be opened. Opened after cuBLAS, whose library
     * loads it, the soname alone finds that copy; DENDRITE_CUBLASLT names another.
     */
    bool open() {
        void *lib = open_cuda_library("DENDRITE_CUBLASLT", "libcublasLt.so.13");
        if (lib == nullptr) {
            std::printf("cuBLASLt: libcublasLt.so.13 not found (%s); its rows are left out\n", dlerror());
            return false;
        }
        bool missing = false;
#define DENDRITE_DEV_LT_OPEN(field, function, type) \
    field = (type) dlsym(lib, #function);           \
    missing |= field == nullptr;
        DENDRITE_LT_ENTRY_POINTS(DENDRITE_DEV_LT_OPEN)
#undef DENDRITE_DEV_LT_OPEN
        status_string = (decltype(status_string)) dlsym(lib, "cublasLtGetStatusString");
        if (missing || create(&handle) != 0) {
            std::printf("cuBLASLt: an entry point is missing or cublasLtCreate failed; its rows are left out\n");
            return false;
        }
        /* Its own workspace, as cuBLAS's: nothing is allocated while a graph is captured. */
        CHECK_CUDA(cudaMalloc(&workspace, workspace_bytes));
        unsigned long long bytes = workspace_bytes;
        return pref_create(&preference) == 0 &&
               pref_set(preference, PREF_MAX_WORKSPACE_BYTES, &bytes, sizeof bytes) == 0;
    }
};

__global__ void dendrite_dev_spin(float *out, int rounds) {
    float v = threadIdx.x;
    for (int i = 0; i < rounds; i++) {
        v = v * 0.999f + 1.0f;
    }
    if (v == -1.0f) {
        out[0] = v; /* never: keeps the loop */
    }
}

inline void queue_ahead(cudaStream_t stream) {
    static float *sink = nullptr;
    if (sink == nullptr) {
        CHECK_CUDA(cudaMalloc(&sink, sizeof(float)));
    }
    dendrite_dev_spin<<<132, 256, 0, stream>>>(sink, 1 << 19);
}

inline void warm_up(cudaStream_t stream) {
    for (int i = 0; i < 50; i++) {
        queue_ahead(stream);
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
}

/* What every exploration starts with: device 0 named in the output, a stream of its own, the clocks warmed up. */
struct Device {
    cudaDeviceProp prop;
    cudaStream_t stream;
};

inline Device open_device(const char *program) {
    Device d;
    CHECK_CUDA(cudaGetDeviceProperties(&d.prop, 0));
    std::printf("%s on %s (sm_%d%d, %d SMs)\n", program, d.prop.name, d.prop.major, d.prop.minor,
                d.prop.multiProcessorCount);
    CHECK_CUDA(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking));
    warm_up(d.stream);
    return d;
}

/*
 * A main of one shape after another: the M N K (or M N B) triples on the command line, else `defaults`; the device
 * opened; cuBLAS where it opens (its rows are left out otherwise); then run(m, n, k, device, cuBLAS or null).
 */
template <class Run>
inline int run_shapes(int argc, char **argv, std::vector<int> defaults, const char *program, Run run) {
    std::vector<int> shapes = shape_args(argc, argv, defaults, program);
    Device d = open_device(program);
    Cublas cublas;
    bool have_cublas = cublas.open(d.stream);
    for (size_t i = 0; i < shapes.size(); i += 3) {
        run(shapes[i], shapes[i + 1], shapes[i + 2], d, have_cublas ? &cublas : nullptr);
    }
    return 0;
}
