/*
 * gather_batch.cu - the first node of every training step: a batch's rows gathered from the dataset on the device
 * (Fashion-MNIST as uint8, 60,000 x 784), each pixel scaled to float (x * scale[f] + shift[f], rounded twice as Java
 * rounds it), with the row's label. kernels/cuda/data.cu's gather_batch_u8 does it with one block per row, a byte a
 * thread; session 14's Nsight Compute list timed its two halves, then separate kernels, at 4.6 us (pixels) and 3.3
 * us (labels) on the H200, and the whole of it sits on the step's critical path, ahead of the first product (the
 * counter that picks the batch is advanced by the step before). Before the count of gathers can drop (a prefetch
 * beside the step before), how short one can be. llm.c's dev/cuda manner: a float64 reference, numbered versions,
 * each checked and timed as a chain in a CUDA graph.
 *
 *   bash bench/gpu/dev/build.sh                  (nvcc -arch=sm_90; run-on-gpu.sh's dev stage runs it)
 *   gather_batch [ROWS WIDTH BATCHES]...          (default: batches of 128 and 64 rows of 784 pixels)
 *
 * Every version reads the batch index from device memory, then the shuffled index, then the row: three dependent
 * loads before a pixel moves, as in training. Versions (all write the same bits):
 *   1  today's: one block of 256 threads per row, a byte a thread, scale and shift read beside each byte (data.cu's
 *      kernel without its programmatic-launch wait and its error report, which cost nothing here)
 *   2  four pixels a thread: uchar4 loads, float4 scale, shift and stores (rows of a multiple of 4 bytes)
 *   3  version 2 with the thread's scale and shift loaded first, so that their latency hides under the index chain
 *   4  version 3 with two rows a block of 256 threads (half the blocks)
 *   5  version 3 with one warp per row, eight rows a block
 * Two times per version, the two ends of what training sees (the dataset's 47 MB against the H200's 50 MB of L2,
 * which the step's weights, optimizer state and activations share):
 *   hot   a chain of 20 gathers of 20 different batches in one graph, replayed 20 times: after the first replay
 *         every row is in L2, and back-to-back launches hide each other's start
 *   cold  one gather alone between two events, after a 256 MB memset has pushed everything out of L2; the median
 *         of 20, each of another batch
 */
#include <algorithm>
#include <cstring>
#include <string>

#include "common.cuh"

constexpr int DATASET_ROWS = 60000;

struct Problem {
    int rows = 0, width = 0, batches = 0;
    const float *scale = nullptr, *shift = nullptr; /* device; the dataset, labels and indices are run_shape's */
    float *x = nullptr;
    int *y = nullptr;
    std::vector<unsigned char> hsrc;
    std::vector<int> hlabels, hindices;
    std::vector<float> hscale, hshift;
};

/* ------------------------------------------------------------------ CPU reference, one output */

/*
 * Pixel i (rows x width) of batch `batch`, rounded twice as Java's float arithmetic rounds it. The volatile keeps
 * a host compiler allowed to contract (g++'s C++ default, given an -march with FMA) from fusing the two.
 */
static float reference_pixel(const Problem &p, int batch, size_t i) {
    int r = (int) (i / p.width), f = (int) (i % p.width);
    int j = p.hindices[(size_t) batch * p.rows + r];
    volatile float product = (float) p.hsrc[(size_t) j * p.width + f] * p.hscale[f];
    return product + p.hshift[f];
}

static int reference_label(const Problem &p, int batch, int r) {
    return p.hlabels[p.hindices[(size_t) batch * p.rows + r]];
}

/* ------------------------------------------------------------------ the shared part: which row */

/* Source row of output row r of batch counters[1] + offset; -1 past the data (zeros, as data.cu after its report). */
__device__ __forceinline__ int source_row(int r, const int *indices, const int *counters, int offset, int rows) {
    long long pos = (long long) (counters[1] + offset) * rows + r;
    if (pos < 0 || pos >= DATASET_ROWS) {
        return -1;
    }
    int j = indices[pos];
    return j >= 0 && j < DATASET_ROWS ? j : -1;
}

__device__ __forceinline__ float scaled(float v, float a, float b) {
    return __fadd_rn(__fmul_rn(v, a), b);
}

/* ------------------------------------------------------------------ version 1 */

__global__ void gather_bytes(const unsigned char *src, int width, const int *indices, const int *counters, int offset,
                             int rows, const float *scale, const float *shift, float *x, const int *labels, int *y) {
    int r = blockIdx.x;
    int j = source_row(r, indices, counters, offset, rows);
    for (int f = threadIdx.x; f < width; f += blockDim.x) {
        float v = j < 0 ? 0.0f : scaled((float) src[(size_t) j * width + f], scale[f], shift[f]);
        x[(size_t) r * width + f] = v;
    }
    if (threadIdx.x == 0) {
        y[r] = j < 0 ? 0 : labels[j];
    }
}

/* ------------------------------------------------------------------ versions 2-5: four pixels a thread */

__device__ __forceinline__ float4 scaled4(uchar4 q, float4 a, float4 b) {
    return make_float4(scaled(q.x, a.x, b.x), scaled(q.y, a.y, b.y), scaled(q.z, a.z, b.z), scaled(q.w, a.w, b.w));
}

/*
 * Row r by `threads` threads (lane t of them), four pixels each. With `early`, the thread's first quad of scale
 * and shift is loaded before the row index is known (their loads overlap the index chain's); rows wider than
 * 4 x threads load the rest as they go.
 */
template <bool early>
__device__ __forceinline__ void gather_row4(const unsigned char *src, int width, const int *indices,
                                            const int *counters, int offset, int rows, const float *scale,
                                            const float *shift, float *x, const int *labels, int *y, int r, int t,
                                            int threads) {
    int quads = width / 4;
    const float4 *scale4 = reinterpret_cast<const float4 *>(scale);
    const float4 *shift4 = reinterpret_cast<const float4 *>(shift);
    float4 a0 = make_float4(0, 0, 0, 0), b0 = a0;
    if (early && t < quads) {
        a0 = scale4[t];
        b0 = shift4[t];
    }
    int j = source_row(r, indices, counters, offset, rows);
    const uchar4 *row = reinterpret_cast<const uchar4 *>(src + (size_t) (j < 0 ? 0 : j) * width);
    float4 *out = reinterpret_cast<float4 *>(x + (size_t) r * width);
    for (int q = t; q < quads; q += threads) {
        float4 a = early && q == t ? a0 : scale4[q];
        float4 b = early && q == t ? b0 : shift4[q];
        out[q] = j < 0 ? make_float4(0, 0, 0, 0) : scaled4(row[q], a, b);
    }
    if (t == 0) {
        y[r] = j < 0 ? 0 : labels[j];
    }
}

template <bool early>
__global__ void gather_quads(const unsigned char *src, int width, const int *indices, const int *counters, int offset,
                             int rows, const float *scale, const float *shift, float *x, const int *labels, int *y) {
    gather_row4<early>(src, width, indices, counters, offset, rows, scale, shift, x, labels, y, blockIdx.x,
                       threadIdx.x, blockDim.x);
}

/* `per_block` rows a block, blockDim.x / per_block threads each. */
__global__ void gather_quads_rows(const unsigned char *src, int width, const int *indices, const int *counters,
                                  int offset, int rows, const float *scale, const float *shift, float *x,
                                  const int *labels, int *y, int per_block) {
    int threads = blockDim.x / per_block;
    int r = blockIdx.x * per_block + threadIdx.x / threads;
    if (r < rows) {
        gather_row4<true>(src, width, indices, counters, offset, rows, scale, shift, x, labels, y, r,
                          threadIdx.x % threads, threads);
    }
}

/* ------------------------------------------------------------------ the runs */

static void run_shape(int rows, int width, int batches, cudaStream_t stream, int l2_bytes) {
    if (rows <= 0 || width <= 0 || width % 4 != 0 || (long long) rows * batches > DATASET_ROWS || batches < 42) {
        std::fprintf(stderr, "gather_batch: want ROWS > 0, WIDTH > 0 a multiple of 4, ROWS x BATCHES <= %d and "
                     "BATCHES > 41\n", DATASET_ROWS);
        std::exit(2);
    }
    Problem p;
    p.rows = rows;
    p.width = width;
    p.batches = batches;
    std::mt19937 g(1);
    p.hsrc.resize((size_t) DATASET_ROWS * width);
    for (auto &b : p.hsrc) {
        b = (unsigned char) (g() & 0xFF);
    }
    p.hlabels.resize(DATASET_ROWS);
    for (auto &l : p.hlabels) {
        l = (int) (g() % 10);
    }
    p.hindices.resize(DATASET_ROWS);
    for (int i = 0; i < DATASET_ROWS; i++) {
        p.hindices[i] = i;
    }
    std::shuffle(p.hindices.begin(), p.hindices.end(), g);
    p.hscale = uniform(width, 0.001f, 0.01f, 2); /* a standardisation's per-pixel scale and shift */
    p.hshift = uniform(width, -1.0f, 0.0f, 3);
    std::vector<int> hcounters = {0, 1}; /* batch 1 for the check; the chain adds its launch's offset */
    unsigned char *src;
    CHECK_CUDA(cudaMalloc(&src, p.hsrc.size()));
    CHECK_CUDA(cudaMemcpy(src, p.hsrc.data(), p.hsrc.size(), cudaMemcpyHostToDevice));
    int *labels, *indices, *counters;
    CHECK_CUDA(cudaMalloc(&labels, DATASET_ROWS * sizeof(int)));
    CHECK_CUDA(cudaMalloc(&indices, DATASET_ROWS * sizeof(int)));
    CHECK_CUDA(cudaMalloc(&counters, 2 * sizeof(int)));
    CHECK_CUDA(cudaMemcpy(labels, p.hlabels.data(), DATASET_ROWS * sizeof(int), cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(indices, p.hindices.data(), DATASET_ROWS * sizeof(int), cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(counters, hcounters.data(), 2 * sizeof(int), cudaMemcpyHostToDevice));
    p.scale = to_device(p.hscale);
    p.shift = to_device(p.hshift);
    size_t pixels = (size_t) rows * width;
    p.x = device_floats(pixels);
    CHECK_CUDA(cudaMalloc(&p.y, rows * sizeof(int)));
    CHECK_CUDA(cudaDeviceSynchronize());

    std::printf("\n%d rows of %d pixels: %zu bytes in (pixels, labels, indices, scale and shift), %zu out; L2 %d MB\n",
                rows, width, pixels + 2 * rows * sizeof(int) + 2 * width * sizeof(float),
                pixels * sizeof(float) + rows * sizeof(int), l2_bytes >> 20);
    std::printf("  %-22s %9s %9s %s\n", "version", "hot us", "cold us", "check");
    /* An L2 flush for the cold times: a memset of more than the L2 holds. */
    size_t flush_bytes = 256u << 20;
    void *flush;
    CHECK_CUDA(cudaMalloc(&flush, flush_bytes));
    /* issue(offset): one gather of batch counters[1] + offset */
    auto run = [&](const char *name, const std::function<void(int)> &issue) {
        CHECK_CUDA(cudaMemsetAsync(p.x, 0xFF, pixels * sizeof(float), stream));
        CHECK_CUDA(cudaMemsetAsync(p.y, 0xFF, rows * sizeof(int), stream));
        issue(0);
        CHECK_CUDA(cudaGetLastError());
        CHECK_CUDA(cudaStreamSynchronize(stream));
        std::vector<float> got = to_host(p.x, pixels);
        std::vector<int> y(rows);
        CHECK_CUDA(cudaMemcpy(y.data(), p.y, rows * sizeof(int), cudaMemcpyDeviceToHost));
        /* Every output, bit for bit: each version rounds as the reference does. */
        size_t wrong = 0;
        for (size_t i = 0; i < pixels; i++) {
            float want = reference_pixel(p, 1, i);
            wrong += std::memcmp(&got[i], &want, sizeof want) != 0;
        }
        for (int r = 0; r < rows; r++) {
            wrong += y[r] != reference_label(p, 1, r);
        }
        int offset = 0;
        double hot = time_in_graph(stream, [&] { issue(offset++ % 20); }, 20, 20);
        std::vector<double> cold;
        for (int t = 0; t < 20; t++) {
            CHECK_CUDA(cudaMemsetAsync(flush, t, flush_bytes, stream));
            cold.push_back(1000.0 * device_ms(stream, [&] { issue(20 + t); }));
        }
        std::sort(cold.begin(), cold.end());
        std::printf("  %-22s %9.2f %9.2f %s\n", name, hot, (cold[9] + cold[10]) / 2, wrong == 0 ? "ok (same bits)"
                    : ("WRONG: " + std::to_string(wrong) + " outputs differ").c_str());
        std::fflush(stdout);
    };
    run("1 byte a thread", [&](int offset) {
        gather_bytes<<<rows, 256, 0, stream>>>(src, width, indices, counters, offset, rows, p.scale, p.shift, p.x,
                                               labels, p.y);
    });
    run("2 quads", [&](int offset) {
        gather_quads<false><<<rows, 256, 0, stream>>>(src, width, indices, counters, offset, rows, p.scale, p.shift,
                                                      p.x, labels, p.y);
    });
    int quads = width / 4;
    int threads = std::min(256, (quads + 31) / 32 * 32);
    run("3 quads, scale early", [&](int offset) {
        gather_quads<true><<<rows, threads, 0, stream>>>(src, width, indices, counters, offset, rows, p.scale,
                                                         p.shift, p.x, labels, p.y);
    });
    run("4 two rows a block", [&](int offset) {
        gather_quads_rows<<<(rows + 1) / 2, 256, 0, stream>>>(src, width, indices, counters, offset, rows, p.scale,
                                                              p.shift, p.x, labels, p.y, 2);
    });
    run("5 a warp a row", [&](int offset) {
        gather_quads_rows<<<(rows + 7) / 8, 256, 0, stream>>>(src, width, indices, counters, offset, rows, p.scale,
                                                              p.shift, p.x, labels, p.y, 8);
    });
    CHECK_CUDA(cudaFree(src));
    CHECK_CUDA(cudaFree(labels));
    CHECK_CUDA(cudaFree(indices));
    CHECK_CUDA(cudaFree(counters));
    CHECK_CUDA(cudaFree((void *) p.scale));
    CHECK_CUDA(cudaFree((void *) p.shift));
    CHECK_CUDA(cudaFree(p.x));
    CHECK_CUDA(cudaFree(p.y));
    CHECK_CUDA(cudaFree(flush));
}

int main(int argc, char **argv) {
    /* mlp512's and mlp1024's batches (128), bn256's (64) */
    std::vector<int> shapes = shape_args(argc, argv, {128, 784, 400, 64, 784, 800}, "gather_batch");
    Device d = open_device("gather_batch");
    for (size_t i = 0; i < shapes.size(); i += 3) {
        run_shape(shapes[i], shapes[i + 1], shapes[i + 2], d.stream, d.prop.l2CacheSize);
    }
    return 0;
}
