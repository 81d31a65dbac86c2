/*
 * launch_latency.cu - what a kernel boundary costs inside a replayed training step, and what Hopper's programmatic
 * dependent launch (PDL) and longer graphs would take off it. A course network's step on the H200 is 15-25
 * dependent kernels of 2-10 us (session 15: mlp512 65 us a step), so a microsecond per boundary is a large share;
 * the answers decide whether the CUDA backend should launch through cuLaunchKernelEx (which JCuda 12.6 does not
 * bind) and whether a graph should hold several steps.
 *
 *   bash bench/gpu/dev/build.sh; launch_latency
 *
 * Each row: microseconds per kernel (the device's time: the host has queued the launches ahead), as
 *   graph/20     20 kernels in one graph, the graph replayed back to back (a step's inside)
 *   graph/1      one kernel a graph, replayed back to back (a boundary between two steps' graphs)
 *   pdl/20       graph/20 with every launch allowed to start while the one before ends (the launch attribute
 *                programmaticStreamSerialization; each kernel waits with griddepcontrol.wait before reading, then
 *                lets the next launch at once with griddepcontrol.launch_dependents: the most overlap)
 *   stream/20    the 20 launches issued on a stream, no graph (for scale)
 *   coop/20      the 20 steps as one cooperative kernel, a grid-wide barrier (grid.sync()) between steps instead
 *                of a kernel boundary: how a whole training step could stay in one launch, as tiny-cuda-nn keeps a
 *                narrow MLP's layers in one kernel (per step, the launch spread over its 20)
 * for kernels of about 2, 5 and 10 us of memory work over all multiprocessors.
 */
#include <cooperative_groups.h>

#include <algorithm>
#include <string>

#include "common.cuh"

namespace cg = cooperative_groups;

/*
 * out[i] = in[i] + 1 over n elements, `rounds` times over the same elements (the work), every block starting
 * only once the previous kernel's output is there. With `pdl` the wait is griddepcontrol.wait (a no-op when the
 * launch was not programmatic), and the next kernel may launch once this one has read its input.
 */
template <bool PDL>
__global__ void step_kernel(const float *in, float *out, int n, int rounds) {
    if (PDL) {
        asm volatile("griddepcontrol.wait;" ::: "memory");
        /* The next kernel may launch now: its own wait still holds it until this grid has finished and its writes
         * are visible, so this is the earliest safe trigger and the most overlap PDL can give. */
        asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    }
    for (int r = 0; r < rounds; r++) {
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
            out[i] = in[i] + 1.0f;
        }
    }
}

/* Two buffers the kernels of a chain read and write in turn: each kernel depends on the one before. */
struct Chain {
    float *a, *b;
    int n, rounds, blocks;
    int parity; /* which buffer the next kernel reads */
};

static void issue(Chain &c, cudaStream_t stream, int kernels, bool pdl) {
    for (int i = 0; i < kernels; i++) {
        const float *in = c.parity == 0 ? c.a : c.b;
        float *out = c.parity == 0 ? c.b : c.a;
        c.parity ^= 1;
        if (!pdl) {
            step_kernel<false><<<c.blocks, 256, 0, stream>>>(in, out, c.n, c.rounds);
            continue;
        }
        cudaLaunchConfig_t cfg = {};
        cfg.gridDim = dim3(c.blocks);
        cfg.blockDim = dim3(256);
        cfg.stream = stream;
        cudaLaunchAttribute attr[1] = {};
        attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attr[0].val.programmaticStreamSerializationAllowed = 1;
        cfg.attrs = attr;
        cfg.numAttrs = 1;
        CHECK_CUDA(cudaLaunchKernelEx(&cfg, step_kernel<true>, in, out, c.n, c.rounds));
    }
}

/*
 * Whether a graph of 20 chained kernels (PDL or not) computes what the chain must: from zeros, kernel j writes j + 1,
 * so the last (the 20th, into a) leaves 20 everywhere. A kernel that read its input before the one before had
 * written it would leave less.
 */
static bool chain_is_right(Chain &c, cudaStream_t stream, bool pdl) {
    CHECK_CUDA(cudaMemsetAsync(c.a, 0, c.n * sizeof(float), stream));
    CHECK_CUDA(cudaMemsetAsync(c.b, 0, c.n * sizeof(float), stream));
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    c.parity = 0;
    CHECK_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    issue(c, stream, 20, pdl);
    CHECK_CUDA(cudaStreamEndCapture(stream, &graph));
    /* What the capture made of the launches: 19 edges, programmatic ones where PDL was asked for. */
    size_t edges = 0;
    CHECK_CUDA(cudaGraphGetEdges(graph, nullptr, nullptr, nullptr, &edges));
    std::vector<cudaGraphNode_t> from(edges), to(edges);
    std::vector<cudaGraphEdgeData> data(edges);
    CHECK_CUDA(cudaGraphGetEdges(graph, from.data(), to.data(), data.data(), &edges));
    int programmatic = 0;
    for (const cudaGraphEdgeData &d : data) {
        programmatic += d.type == cudaGraphDependencyTypeProgrammatic;
    }
    if (pdl) {
        std::printf("  (the PDL chain's graph: %zu edges, %d programmatic)\n", edges, programmatic);
    }
    CHECK_CUDA(cudaGraphInstantiate(&exec, graph, 0));
    CHECK_CUDA(cudaGraphLaunch(exec, stream));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    CHECK_CUDA(cudaGraphExecDestroy(exec));
    CHECK_CUDA(cudaGraphDestroy(graph));
    std::vector<float> out = to_host(c.a, c.n);
    for (float v : out) {
        if (v != 20.0f) {
            return false;
        }
    }
    return true;
}

/*
 * The chain's 20 steps in one kernel whose blocks are all resident, each step ending at a grid-wide barrier. Each
 * step reads the element mirrored across the array (n - 1 - i), which another block wrote in the step before: a
 * barrier that did not hold would show in the values (reading one's own elements, program order alone would pass).
 */
__global__ void persistent_steps(float *a, float *b, int n, int rounds, int steps) {
    cg::grid_group grid = cg::this_grid();
    for (int s = 0; s < steps; s++) {
        const float *in = s % 2 == 0 ? a : b;
        float *out = s % 2 == 0 ? b : a;
        for (int r = 0; r < rounds; r++) {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
                out[i] = in[n - 1 - i] + 1.0f;
            }
        }
        grid.sync();
    }
}

/*
 * Microseconds per step of persistent_steps (20 launches of 20 steps, after one more), or a negative number where
 * the device refuses the cooperative launch; `right` says whether one launch from zeros left 20 everywhere.
 */
static double time_cooperative(Chain &c, cudaStream_t stream, int sms, bool &right) {
    int per_sm = 0;
    CHECK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, persistent_steps, 256, 0));
    dim3 grid(std::max(1, std::min(2, per_sm)) * sms);
    int steps = 20;
    void *args[] = {&c.a, &c.b, &c.n, &c.rounds, &steps};
    CHECK_CUDA(cudaMemsetAsync(c.a, 0, c.n * sizeof(float), stream));
    CHECK_CUDA(cudaMemsetAsync(c.b, 0, c.n * sizeof(float), stream));
    cudaError_t e = cudaLaunchCooperativeKernel((void *) persistent_steps, grid, dim3(256), args, 0, stream);
    if (e != cudaSuccess) {
        std::printf("  (cooperative launch refused: %s)\n", cudaGetErrorString(e));
        cudaGetLastError();
        right = false;
        return -1.0;
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
    right = true;
    for (float v : to_host(c.a, c.n)) {
        right = right && v == 20.0f;
    }
    double ms = device_ms(stream, [&] {
        for (int i = 0; i < 20; i++) {
            CHECK_CUDA(cudaLaunchCooperativeKernel((void *) persistent_steps, grid, dim3(256), args, 0, stream));
        }
    });
    return 1000.0 * ms / 400.0;
}

/* Microseconds per kernel for 20 launches on the stream, no graph, after a warm-up. */
static double time_stream(Chain &c, cudaStream_t stream) {
    issue(c, stream, 20, false);
    double ms = device_ms(stream, [&] {
        for (int i = 0; i < 20; i++) {
            issue(c, stream, 20, false);
        }
    });
    return 1000.0 * ms / 400.0;
}

int main() {
    Device d = open_device("launch_latency");
    const cudaDeviceProp &prop = d.prop;
    cudaStream_t stream = d.stream;
    std::printf("  %-34s %9s %9s %9s %9s %9s\n", "kernel", "graph/20", "graph/1", "pdl/20", "stream/20",
                "coop/20");
    /* Elements and rounds for about 2, 5 and 10 us on an H200 (128 KB to 4 MB read and written per round). */
    struct Size {
        const char *name;
        int n, rounds;
    } sizes[] = {{"tiny (32K floats, 1 round)", 32 << 10, 1},
                 {"small (512K floats, 2 rounds)", 512 << 10, 2},
                 {"medium (1M floats, 4 rounds)", 1 << 20, 4}};
    for (const Size &s : sizes) {
        Chain c{nullptr, nullptr, s.n, s.rounds, 2 * prop.multiProcessorCount, 0};
        c.a = to_device(std::vector<float>(s.n, 0.0f));
        c.b = to_device(std::vector<float>(s.n, 0.0f));
        bool plain_ok = chain_is_right(c, stream, false);
        bool pdl_ok = chain_is_right(c, stream, true);
        c.parity = 0;
        double chain = time_in_graph(stream, [&] { issue(c, stream, 1, false); }, 20, 20);
        double single = time_in_graph(stream, [&] { issue(c, stream, 1, false); }, 1, 200);
        c.parity = 0;
        double pdl = time_in_graph(stream, [&] { issue(c, stream, 1, true); }, 20, 20);
        double plain = time_stream(c, stream);
        bool coop_ok = false;
        double coop = time_cooperative(c, stream, prop.multiProcessorCount, coop_ok);
        std::printf("  %-34s %9.2f %9.2f %9.2f %9.2f %9.2f %s%s%s\n", s.name, chain, single, pdl, plain, coop,
                    plain_ok ? "" : "(WRONG: the plain chain's values) ",
                    pdl_ok ? "" : "(WRONG: a PDL kernel read its input early) ",
                    coop_ok ? "" : "(WRONG or refused: the cooperative chain)");
        CHECK_CUDA(cudaFree(c.a));
        CHECK_CUDA(cudaFree(c.b));
    }
    return 0;
}
