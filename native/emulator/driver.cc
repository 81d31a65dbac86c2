/*
 * driver.cc - a CUDA driver (libcuda.so.1) that runs kernels/cuda on the host: the part of the driver API that
 * JCuda's binding and native/launch call for the CUDA backend, with the rules of the real one that the backend
 * could break without a GPU to tell it:
 *
 *   - memory: every allocation is its own mapping, ending at a page that cannot be touched, so a kernel that runs
 *     past the end of a buffer faults; the fault becomes CUDA_ERROR_ILLEGAL_ADDRESS naming the kernel, and, as
 *     on a GPU, every later call fails (the context is lost). Copies and memsets must lie inside an allocation.
 *   - streams run their work at once, in issue order, except while captured;
 *   - stream capture builds the graph CUDA would: each node depends on its stream's last work, events carry that
 *     across streams, cuLaunchKernelEx's programmatic serialisation makes programmatic edges; a capture that ends
 *     with a forked stream not joined back fails as CUDA's does (CUDA_ERROR_STREAM_CAPTURE_UNJOINED), and
 *     allocating, freeing or synchronising while one is open fails and invalidates it;
 *   - a graph launch runs the nodes in an order its edges allow: the order of capture, or with
 *     DENDRITE_EMU_ORDER=reverse the latest ready node first, where a missing edge shows; the first launch of each
 *     instance records every node's device memory accesses and fails if two nodes the edges leave unordered touch
 *     the same word, one writing; and the first launch of each configuration of a kernel fails if two of its blocks
 *     touch one word, one writing, with no atomic ticket between, or two threads of a block do with no barrier
 *     between (races.cc);
 *   - the device is a compute capability 9.0 one with DENDRITE_EMU_SMS multiprocessors (default 8: the backend
 *     sizes its grids by them, and a small grid keeps the emulation fast).
 *
 * What it does not model: time (events read the host's clock), concurrency between blocks or nodes (races are
 * checked, not run), memory ordering between threads (one runs at a time), and the GPU's float
 * functions (glibc's expf, not CUDA's).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

/* The driver structs native/launch passes, declared once (C11 there: its _Alignas is C++'s alignas). */
#define _Alignas(n) alignas(n)
#include "../launch/driver_types.h"
#undef _Alignas
#include "emu.h"

#define API extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : int {
    SUCCESS = 0,
    INVALID_VALUE = 1,
    OUT_OF_MEMORY = 2,
    NOT_INITIALIZED = 3,
    INVALID_DEVICE = 101,
    INVALID_HANDLE = 400,
    ILLEGAL_STATE = 401,
    NOT_FOUND = 500,
    ILLEGAL_ADDRESS = 700,
    LAUNCH_FAILED = 719,
    CAPTURE_UNSUPPORTED = 900,
    CAPTURE_INVALIDATED = 901,
    CAPTURE_UNMATCHED = 903,
    CAPTURE_UNJOINED = 904,
    CAPTURED_EVENT = 907,
};

namespace {

std::recursive_mutex lock;
CUresult lost = SUCCESS; /* the error that lost the context, returned by every call after it */
bool initialized = false;

struct Allocation {
    void *mapping;
    size_t mapped;
    size_t bytes;
};
std::map<uintptr_t, Allocation> allocations; /* by base address */
size_t allocated = 0;
constexpr size_t TOTAL_MEMORY = 16ull << 30;

struct Node {
    enum Kind { KERNEL, MEMSET, COPY, HOST } kind;
    const demu::Kernel *kernel = nullptr;
    demu::Dim3 grid{1, 1, 1}, block{1, 1, 1};
    size_t shared = 0;
    std::vector<std::vector<unsigned char>> params;
    uintptr_t dst = 0, src = 0;
    size_t count = 0;      /* elements (memset) or bytes (copy) */
    unsigned value = 0;
    int element_bytes = 0; /* memset: 1 or 4 */
    demu::HostWork work = nullptr;
    std::shared_ptr<void> data;
    std::vector<int> deps;
    std::vector<bool> programmatic;
};

struct Graph {
    pthread_t thread; /* the thread that began the capture: a thread-local capture refuses only its calls */
    long id = 0;      /* an event names its capture by this: a later graph may reuse a freed one's address */
    std::vector<Node> nodes;
    bool invalidated = false;
    std::string why_invalid;
};

struct Stream {
    Graph *capture = nullptr;
    bool origin = false;
    int mode = 0;
    std::vector<int> frontier;
};
Stream default_stream;
std::set<Stream *> streams;

struct Event {
    bool timing = true;   /* not created with CU_EVENT_DISABLE_TIMING */
    bool captured = false; /* last recorded into a capture: CUDA refuses to query, wait on or time it */
    double seconds = 0;
    Graph *capture = nullptr;
    long capture_id = 0;
    std::vector<int> deps;
};

struct Exec {
    Graph graph;
    bool traced = false;
    bool checked = false; /* its first launch was recorded and checked for races (races.cc) */
};

int context_token;

Stream *stream_of(void *s) { return s == nullptr ? &default_stream : (Stream *) s; }

double now() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A call CUDA forbids while a capture is open (not relaxed): it fails, and the capture with it. */
CUresult refuse_during_capture(const char *what) {
    Graph *g = nullptr;
    for (Stream *s : streams) {
        /* global mode refuses every thread's call, thread-local mode the capturing thread's, relaxed mode none */
        if (s->capture != nullptr && s->origin
            && (s->mode == 0 || (s->mode == 1 && pthread_equal(pthread_self(), s->capture->thread)))) {
            g = s->capture;
        }
    }
    if (g == nullptr) {
        return SUCCESS;
    }
    g->invalidated = true;
    g->why_invalid = std::string(what) + " while a stream was being captured";
    std::fprintf(stderr, "dendrite emulator: %s during a stream capture (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)\n", what);
    return CAPTURE_UNSUPPORTED;
}

/* The allocation that holds [p, p + bytes), or null. */
const Allocation *inside(uintptr_t p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) {
        return nullptr;
    }
    --it;
    return bytes <= it->second.bytes && p - it->first <= it->second.bytes - bytes ? &it->second : nullptr;
}

/* ------------------------------------------------------------------ running a node */

/* Set while a node runs, always under the lock, so one thread at a time: plain globals, since a thread_local of a
 * dlopen'ed library may be allocated lazily, which a signal handler must not do. */
sigjmp_buf *fault_exit = nullptr;
pthread_t guarded_thread;
volatile sig_atomic_t guarding = 0;
uintptr_t fault_address = 0;
struct sigaction previous_segv, previous_bus;

void on_fault(int sig, siginfo_t *info, void *context) {
    if (guarding && pthread_equal(pthread_self(), guarded_thread)) {
        fault_address = (uintptr_t) info->si_addr;
        guarding = 0;
        siglongjmp(*fault_exit, 1);
    }
    /* Not a kernel of ours: the JVM's handler decides (its null checks and safepoint polls fault on purpose). */
    struct sigaction &prev = sig == SIGSEGV ? previous_segv : previous_bus;
    if (prev.sa_flags & SA_SIGINFO) {
        prev.sa_sigaction(sig, info, context);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        prev.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/* DENDRITE_EMU_TRACE=1: every node as it runs, on stderr (a kernel with its parameters' values). */
bool tracing() {
    static int on = -1;
    if (on < 0) {
        const char *v = std::getenv("DENDRITE_EMU_TRACE");
        on = v != nullptr && std::strcmp(v, "1") == 0;
    }
    return on == 1;
}

/* DENDRITE_EMU_GRAPHS=1 (or the trace): each graph's shape once per instance, with its critical path. */
bool describing_graphs() {
    static int on = -1;
    if (on < 0) {
        const char *v = std::getenv("DENDRITE_EMU_GRAPHS");
        on = tracing() || (v != nullptr && std::strcmp(v, "1") == 0);
    }
    return on == 1;
}

void trace(const Node &n) {
    switch (n.kind) {
        case Node::KERNEL: {
            std::fprintf(stderr, "dendrite emulator: %s <<<(%u,%u,%u), (%u,%u,%u), %zu>>>(", n.kernel->name, n.grid.x,
                         n.grid.y, n.grid.z, n.block.x, n.block.y, n.block.z, n.shared);
            for (size_t i = 0; i < n.params.size(); i++) {
                unsigned long long v = 0;
                std::memcpy(&v, n.params[i].data(), std::min<size_t>(8, n.params[i].size()));
                std::fprintf(stderr, i == 0 ? "0x%llx" : ", 0x%llx", v);
            }
            std::fprintf(stderr, ")\n");
            break;
        }
        case Node::MEMSET:
            std::fprintf(stderr, "dendrite emulator: memset 0x%lx, %zu x %d bytes of 0x%x\n", (unsigned long) n.dst,
                         n.count, n.element_bytes, n.value);
            break;
        case Node::COPY:
            std::fprintf(stderr, "dendrite emulator: copy %zu bytes 0x%lx -> 0x%lx\n", n.count, (unsigned long) n.src,
                         (unsigned long) n.dst);
            break;
        case Node::HOST:
            break; /* cublas.cc traces its own */
    }
}

/* Whether address p is in a device allocation: what the race checks compare (races.cc). */
bool in_device(uintptr_t p) { return inside(p, 1) != nullptr; }

/* Whether this launch is the first of its configuration (kernel, grid, block size), which the race checks record. */
bool first_of_its_configuration(const Node &n) {
    static std::set<std::tuple<const demu::Kernel *, unsigned, unsigned, unsigned, unsigned>> seen;
    return seen.emplace(n.kernel, n.grid.x, n.grid.y, n.grid.z, n.block.x * n.block.y * n.block.z).second;
}

/* The node's work, unguarded; an empty string, or why the launch failed. */
std::string execute(const Node &n) {
    switch (n.kind) {
        case Node::KERNEL: {
            std::vector<void *> params(n.params.size());
            for (size_t i = 0; i < params.size(); i++) {
                params[i] = (void *) n.params[i].data();
            }
            return demu::launch(*n.kernel, n.grid, n.block, n.shared, params.data());
        }
        case Node::MEMSET:
            demu::note(n.dst, n.count * n.element_bytes, demu::WRITE);
            if (n.element_bytes == 1) {
                std::memset((void *) n.dst, (int) (n.value & 0xFF), n.count);
            } else {
                unsigned *p = (unsigned *) n.dst;
                std::fill(p, p + n.count, n.value);
            }
            return "";
        case Node::COPY:
            demu::note(n.src, n.count, demu::READ);
            demu::note(n.dst, n.count, demu::WRITE);
            std::memmove((void *) n.dst, (const void *) n.src, n.count);
            return "";
        case Node::HOST:
            n.work(n.data.get());
            return "";
    }
    return "unknown node";
}

const char *describe(const Node &n) {
    switch (n.kind) {
        case Node::KERNEL: return n.kernel->name;
        case Node::MEMSET: return "a memset";
        case Node::COPY: return "a copy";
        default: return "a cuBLAS call";
    }
}

/*
 * Runs one node with faults caught: a SIGSEGV or SIGBUS inside it (a buffer overrun into a guard page, a fiber's
 * stack overflow, a graph node replayed after its memory was freed) becomes CUDA_ERROR_ILLEGAL_ADDRESS and loses the
 * context, as on a GPU. The JVM's handlers are put back after; the handler runs on a stack of its own, since the
 * fault may be a fiber's stack overflow.
 */
CUresult run(const Node &n) {
    if (tracing()) {
        trace(n);
    }
    static char alternate[64 * 1024];
    stack_t mine_stack, old_stack;
    mine_stack.ss_sp = alternate;
    mine_stack.ss_size = sizeof alternate;
    mine_stack.ss_flags = 0;
    sigaltstack(&mine_stack, &old_stack);
    struct sigaction mine;
    std::memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = on_fault;
    mine.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&mine.sa_mask);
    /* The old actions first, so that a fault of another thread while ours is being put in finds them. */
    sigaction(SIGSEGV, nullptr, &previous_segv);
    sigaction(SIGBUS, nullptr, &previous_bus);
    sigaction(SIGSEGV, &mine, nullptr);
    sigaction(SIGBUS, &mine, nullptr);
    /* The first launch of each configuration of a kernel is checked for races between its blocks, and between the
     * threads of each block (races.cc). */
    demu::BlockWords words;
    bool check = n.kind == Node::KERNEL && demu::races_checked() && first_of_its_configuration(n);
    sigjmp_buf here;
    std::string why;
    bool faulted = false;
    if (sigsetjmp(here, 1) == 0) {
        fault_exit = &here;
        guarded_thread = pthread_self();
        guarding = 1;
        demu::block_recording = check ? &words : nullptr;
        why = execute(n);
        guarding = 0;
    } else {
        faulted = true;
    }
    demu::block_recording = nullptr;
    sigaction(SIGSEGV, &previous_segv, nullptr);
    sigaction(SIGBUS, &previous_bus, nullptr);
    sigaltstack(&old_stack, nullptr);
    if (faulted) {
        if (n.kind == Node::KERNEL) {
            std::fprintf(stderr, "dendrite emulator: kernel %s (grid %ux%ux%u, block %ux%ux%u) touched 0x%lx, outside "
                         "every allocation (CUDA_ERROR_ILLEGAL_ADDRESS; the context is lost)\n", n.kernel->name, n.grid.x,
                         n.grid.y, n.grid.z, n.block.x, n.block.y, n.block.z, (unsigned long) fault_address);
        } else {
            std::fprintf(stderr, "dendrite emulator: %s touched 0x%lx, outside every allocation "
                         "(CUDA_ERROR_ILLEGAL_ADDRESS; the context is lost)\n", describe(n), (unsigned long) fault_address);
        }
        lost = ILLEGAL_ADDRESS;
        return lost;
    }
    if (!why.empty()) {
        std::fprintf(stderr, "dendrite emulator: %s (CUDA_ERROR_LAUNCH_FAILED; the context is lost)\n", why.c_str());
        lost = LAUNCH_FAILED;
        return lost;
    }
    if (check) {
        /* The kernel did run; a GPU would not have noticed, so the context is not lost. */
        why = demu::block_clash(words, n.kernel->name, in_device);
        if (!why.empty()) {
            std::fprintf(stderr, "dendrite emulator: %s (CUDA_ERROR_LAUNCH_FAILED)\n", why.c_str());
            return LAUNCH_FAILED;
        }
    }
    return SUCCESS;
}

/* Work issued on stream s: run now, or added to the graph s is being captured into, after s's last work. */
CUresult submit(void *s, Node &&n, bool programmatic) {
    Stream *st = stream_of(s);
    if (st->capture == nullptr) {
        return run(n);
    }
    Graph *g = st->capture;
    for (int d : st->frontier) {
        n.deps.push_back(d);
        /* CUDA makes a programmatic edge only between two kernel nodes; a cuBLAS call is one or more kernels on
         * the device, so an edge from it counts as one from a kernel. */
        n.programmatic.push_back(programmatic && n.kind == Node::KERNEL
                                 && (g->nodes[d].kind == Node::KERNEL || g->nodes[d].kind == Node::HOST));
    }
    g->nodes.push_back(std::move(n));
    st->frontier = {(int) g->nodes.size() - 1};
    return SUCCESS;
}

CUresult check_range(CUdeviceptr p, size_t bytes, const char *what) {
    if (bytes > 0 && inside((uintptr_t) p, bytes) == nullptr) {
        std::fprintf(stderr, "dendrite emulator: %s of %zu bytes at 0x%llx is not inside one allocation "
                     "(CUDA_ERROR_INVALID_VALUE)\n", what, bytes, p);
        return INVALID_VALUE;
    }
    return SUCCESS;
}

CUresult copy(uintptr_t dst, uintptr_t src, size_t bytes, void *stream) {
    Node n;
    n.kind = Node::COPY;
    n.dst = dst;
    n.src = src;
    n.count = bytes;
    return submit(stream, std::move(n), false);
}

CUresult memset_on(CUdeviceptr p, unsigned value, size_t count, int element_bytes, void *stream) {
    if (count > SIZE_MAX / (size_t) element_bytes || p % (CUdeviceptr) element_bytes != 0) {
        return INVALID_VALUE;
    }
    CUresult r = check_range(p, count * element_bytes, "a memset");
    if (r != SUCCESS) {
        return r;
    }
    Node n;
    n.kind = Node::MEMSET;
    n.dst = (uintptr_t) p;
    n.value = value;
    n.count = count;
    n.element_bytes = element_bytes;
    return submit(stream, std::move(n), false);
}

CUresult launch(const demu::Kernel *k, demu::Dim3 grid, demu::Dim3 block, unsigned shared, void *stream,
                void **params, bool programmatic) {
    if (k == nullptr) {
        return INVALID_HANDLE;
    }
    std::string refused = demu::refusal(*k, grid, block, shared);
    if (!refused.empty()) {
        std::fprintf(stderr, "dendrite emulator: %s (CUDA_ERROR_INVALID_VALUE)\n", refused.c_str());
        return INVALID_VALUE;
    }
    if (params == nullptr && !k->param_sizes.empty()) {
        std::fprintf(stderr, "dendrite emulator: %s launched without its %zu parameters\n", k->name,
                     k->param_sizes.size());
        return INVALID_VALUE;
    }
    Node n;
    n.kind = Node::KERNEL;
    n.kernel = k;
    n.grid = grid;
    n.block = block;
    n.shared = shared;
    for (size_t i = 0; i < k->param_sizes.size(); i++) {
        const unsigned char *v = (const unsigned char *) params[i];
        n.params.emplace_back(v, v + k->param_sizes[i]);
    }
    return submit(stream, std::move(n), programmatic);
}

std::vector<int> merged(std::vector<int> a, const std::vector<int> &b) {
    for (int x : b) {
        if (std::find(a.begin(), a.end(), x) == a.end()) {
            a.push_back(x);
        }
    }
    return a;
}

/* The nodes from which some of from can be reached, and from itself. */
std::vector<bool> ancestors(const Graph &g, const std::vector<int> &from) {
    std::vector<bool> seen(g.nodes.size(), false);
    std::vector<int> todo = from;
    while (!todo.empty()) {
        int v = todo.back();
        todo.pop_back();
        if (seen[v]) {
            continue;
        }
        seen[v] = true;
        for (int d : g.nodes[v].deps) {
            todo.push_back(d);
        }
    }
    return seen;
}

}  // namespace

#define ENTER()                                         \
    std::lock_guard<std::recursive_mutex> guard(lock); \
    if (lost != SUCCESS) {                              \
        return lost;                                    \
    }

/* ------------------------------------------------------------------ device and context */

API CUresult cuInit(unsigned int) {
    ENTER();
    initialized = true;
    return SUCCESS;
}

API CUresult cuDriverGetVersion(int *v) {
    *v = 13000;
    return SUCCESS;
}

API CUresult cuDeviceGetCount(int *n) {
    ENTER();
    if (!initialized) {
        return NOT_INITIALIZED;
    }
    *n = 1;
    return SUCCESS;
}

API CUresult cuDeviceGet(CUdevice *d, int ordinal) {
    ENTER();
    if (ordinal != 0) {
        return INVALID_DEVICE;
    }
    *d = 0;
    return SUCCESS;
}

API CUresult cuDeviceGetName(char *name, int len, CUdevice) {
    std::snprintf(name, (size_t) len, "Dendrite CPU emulator (sm_90 model)");
    return SUCCESS;
}

API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice) {
    *bytes = TOTAL_MEMORY;
    return SUCCESS;
}

static int multiprocessors() {
    const char *v = std::getenv("DENDRITE_EMU_SMS");
    int n = v == nullptr ? 8 : std::atoi(v);
    return n > 0 ? n : 8;
}

API CUresult cuDeviceGetAttribute(int *v, int attribute, CUdevice) {
    switch (attribute) {
        case 1: *v = 1024; break;          /* max threads per block */
        case 2: case 3: *v = 1024; break;  /* max block x, y */
        case 4: *v = 64; break;            /* max block z */
        case 5: *v = 2147483647; break;    /* max grid x */
        case 6: case 7: *v = 65535; break; /* max grid y, z */
        case 8: *v = 49152; break;         /* shared memory per block */
        case 10: *v = 32; break;           /* warp size */
        case 13: *v = 1980000; break;      /* clock, kHz */
        case 16: *v = multiprocessors(); break;
        case 38: *v = 50 << 20; break;     /* L2 bytes */
        case 39: *v = 2048; break;         /* threads per multiprocessor */
        case 75: *v = 9; break;            /* compute capability */
        case 76: *v = 0; break;
        case 97: *v = 232448; break;       /* opt-in shared memory per block */
        default: *v = 0; break;
    }
    return SUCCESS;
}

API CUresult cuDevicePrimaryCtxRetain(void **ctx, CUdevice) {
    ENTER();
    *ctx = &context_token;
    return SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) { return SUCCESS; }

API CUresult cuCtxSetCurrent(void *) { return SUCCESS; }

API CUresult cuCtxGetCurrent(void **ctx) {
    *ctx = &context_token;
    return SUCCESS;
}

API CUresult cuCtxSynchronize() {
    ENTER();
    return refuse_during_capture("cuCtxSynchronize");
}

API CUresult cuGetErrorString(CUresult e, const char **s) {
    switch (e) {
        case SUCCESS: *s = "no error"; break;
        case ILLEGAL_ADDRESS: *s = "an illegal memory access was encountered"; break;
        case LAUNCH_FAILED: *s = "unspecified launch failure"; break;
        default: *s = "emulated CUDA error"; break;
    }
    return SUCCESS;
}

API CUresult cuGetErrorName(CUresult e, const char **s) { return cuGetErrorString(e, s); }

/* ------------------------------------------------------------------ memory */

API CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
    ENTER();
    if (bytes == 0) {
        return INVALID_VALUE;
    }
    CUresult r = refuse_during_capture("cuMemAlloc");
    if (r != SUCCESS) {
        return r;
    }
    if (allocated + bytes > TOTAL_MEMORY) {
        return OUT_OF_MEMORY;
    }
    demu::GuardedMapping m = demu::map_guarded(bytes, 256); /* cudaMalloc aligns to 256 bytes */
    if (m.base == nullptr) {
        return OUT_OF_MEMORY;
    }
    uintptr_t base = (uintptr_t) m.base;
    /* Not zeros: CUDA leaves new memory as it was, and a kernel that reads what it never wrote should show it. */
    std::memset(m.base, 0x7F, (bytes + 255) & ~(size_t) 255);
    allocations[base] = Allocation{m.mapping, m.mapped, bytes};
    allocated += bytes;
    *p = base;
    return SUCCESS;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
    ENTER();
    if (p == 0) {
        return SUCCESS;
    }
    CUresult r = refuse_during_capture("cuMemFree");
    if (r != SUCCESS) {
        return r;
    }
    auto it = allocations.find((uintptr_t) p);
    if (it == allocations.end()) {
        std::fprintf(stderr, "dendrite emulator: cuMemFree(0x%llx), not an allocation's base\n", p);
        return INVALID_VALUE;
    }
    /* The range stays reserved, unreadable: a kernel or a replayed graph that uses the buffer after this faults,
     * where a new allocation at the same address would hide it. */
    mmap(it->second.mapping, it->second.mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    allocated -= it->second.bytes;
    allocations.erase(it);
    return SUCCESS;
}

API CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    ENTER();
    *free_bytes = TOTAL_MEMORY - allocated;
    *total = TOTAL_MEMORY;
    return SUCCESS;
}

API CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, void *s) {
    ENTER();
    return memset_on(p, v, n, 1, s);
}

API CUresult cuMemsetD32Async(CUdeviceptr p, unsigned int v, size_t n, void *s) {
    ENTER();
    return memset_on(p, v, n, 4, s);
}

API CUresult cuMemsetD8_v2(CUdeviceptr p, unsigned char v, size_t n) {
    ENTER();
    CUresult r = refuse_during_capture("cuMemsetD8");
    return r != SUCCESS ? r : memset_on(p, v, n, 1, nullptr);
}

API CUresult cuMemsetD32_v2(CUdeviceptr p, unsigned int v, size_t n) {
    ENTER();
    CUresult r = refuse_during_capture("cuMemsetD32");
    return r != SUCCESS ? r : memset_on(p, v, n, 4, nullptr);
}

API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes, void *s) {
    ENTER();
    CUresult r = check_range(dst, bytes, "a host-to-device copy");
    return r != SUCCESS ? r : copy((uintptr_t) dst, (uintptr_t) src, bytes, s);
}

API CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, void *s) {
    ENTER();
    CUresult r = check_range(src, bytes, "a device-to-host copy");
    return r != SUCCESS ? r : copy((uintptr_t) dst, (uintptr_t) src, bytes, s);
}

API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void *s) {
    ENTER();
    CUresult r = check_range(dst, bytes, "a device-to-device copy's destination");
    if (r == SUCCESS) {
        r = check_range(src, bytes, "a device-to-device copy's source");
    }
    return r != SUCCESS ? r : copy((uintptr_t) dst, (uintptr_t) src, bytes, s);
}

API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
    ENTER();
    CUresult r = refuse_during_capture("cuMemcpyHtoD");
    return r != SUCCESS ? r : cuMemcpyHtoDAsync_v2(dst, src, bytes, nullptr);
}

API CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
    ENTER();
    CUresult r = refuse_during_capture("cuMemcpyDtoH");
    return r != SUCCESS ? r : cuMemcpyDtoHAsync_v2(dst, src, bytes, nullptr);
}

API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
    ENTER();
    CUresult r = refuse_during_capture("cuMemcpyDtoD");
    return r != SUCCESS ? r : cuMemcpyDtoDAsync_v2(dst, src, bytes, nullptr);
}

/* ------------------------------------------------------------------ modules and launches */

API CUresult cuModuleLoadData(void **module, const void *image) {
    ENTER();
    if (image == nullptr) {
        return INVALID_VALUE;
    }
    *module = &context_token; /* every kernel of kernels/cuda is compiled into this library */
    return SUCCESS;
}

API CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned int, void *, void **) {
    return cuModuleLoadData(module, image);
}

API CUresult cuModuleUnload(void *) { return SUCCESS; }

API CUresult cuModuleGetFunction(void **f, void *, const char *name) {
    ENTER();
    const demu::Kernel *k = demu::find_kernel(name);
    if (k == nullptr) {
        return NOT_FOUND;
    }
    *f = (void *) k;
    return SUCCESS;
}

API CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                            unsigned shared, void *stream, void **params, void **extra) {
    ENTER();
    if (extra != nullptr && extra[0] != nullptr) {
        return INVALID_VALUE; /* the backend packs its parameters the kernelParams way */
    }
    return launch((const demu::Kernel *) f, demu::Dim3{gx, gy, gz}, demu::Dim3{bx, by, bz}, shared, stream, params,
                  false);
}

API CUresult cuLaunchKernelEx(const DendriteLaunchConfig *c, void *f, void **params, void **extra) {
    ENTER();
    if (extra != nullptr && extra[0] != nullptr) {
        return INVALID_VALUE;
    }
    bool programmatic = false;
    for (unsigned i = 0; i < c->num_attrs; i++) {
        if (c->attrs[i].id == DENDRITE_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION) {
            programmatic = c->attrs[i].value.programmatic_stream_serialization_allowed != 0;
        } else {
            return INVALID_VALUE; /* an attribute the backend does not use: a packing mistake */
        }
    }
    return launch((const demu::Kernel *) f, demu::Dim3{c->grid_dim_x, c->grid_dim_y, c->grid_dim_z},
                  demu::Dim3{c->block_dim_x, c->block_dim_y, c->block_dim_z}, c->shared_mem_bytes, c->stream, params,
                  programmatic);
}

/* ------------------------------------------------------------------ streams and events */

API CUresult cuStreamCreate(void **s, unsigned int) {
    ENTER();
    Stream *st = new Stream();
    streams.insert(st);
    *s = st;
    return SUCCESS;
}

API CUresult cuStreamDestroy_v2(void *s) {
    ENTER();
    Stream *st = (Stream *) s;
    if (streams.count(st) == 0) {
        return INVALID_HANDLE;
    }
    if (st->capture != nullptr) {
        /* Its unjoined work would leave the capture's check with it: the capture is invalid instead. */
        st->capture->invalidated = true;
        st->capture->why_invalid = "a stream taking part in the capture was destroyed";
        if (st->origin) {
            for (Stream *o : streams) {
                if (o != st && o->capture == st->capture) {
                    o->capture = nullptr;
                    o->frontier.clear();
                }
            }
            delete st->capture;
        }
    }
    streams.erase(st);
    delete st;
    return SUCCESS;
}

API CUresult cuStreamSynchronize(void *s) {
    ENTER();
    if (stream_of(s)->capture != nullptr) {
        stream_of(s)->capture->invalidated = true;
        std::fprintf(stderr, "dendrite emulator: cuStreamSynchronize on a stream being captured\n");
        return CAPTURE_UNSUPPORTED;
    }
    return SUCCESS;
}

API CUresult cuStreamQuery(void *s) {
    ENTER();
    return stream_of(s)->capture != nullptr ? CAPTURE_UNSUPPORTED : SUCCESS;
}

API CUresult cuStreamIsCapturing(void *s, int *status) {
    ENTER();
    Stream *st = stream_of(s);
    *status = st->capture == nullptr ? 0 : st->capture->invalidated ? 2 : 1;
    return SUCCESS;
}

API CUresult cuEventCreate(void **e, unsigned int flags) {
    ENTER();
    Event *ev = new Event();
    ev->timing = (flags & 2) == 0; /* CU_EVENT_DISABLE_TIMING */
    *e = ev;
    return SUCCESS;
}

API CUresult cuEventDestroy_v2(void *e) {
    ENTER();
    delete (Event *) e;
    return SUCCESS;
}

API CUresult cuEventRecord(void *e, void *s) {
    ENTER();
    Event *ev = (Event *) e;
    Stream *st = stream_of(s);
    ev->capture = st->capture;
    ev->captured = st->capture != nullptr;
    ev->capture_id = st->capture != nullptr ? st->capture->id : 0;
    ev->deps = st->frontier;
    ev->seconds = now();
    return SUCCESS;
}

API CUresult cuEventRecordWithFlags(void *e, void *s, unsigned int) { return cuEventRecord(e, s); }

API CUresult cuEventSynchronize(void *e) {
    ENTER();
    return ((Event *) e)->captured ? CAPTURED_EVENT : SUCCESS;
}

API CUresult cuEventQuery(void *e) {
    ENTER();
    return ((Event *) e)->captured ? CAPTURED_EVENT : SUCCESS;
}

API CUresult cuEventElapsedTime(float *ms, void *a, void *b) {
    ENTER();
    Event *x = (Event *) a;
    Event *y = (Event *) b;
    if (x->captured || y->captured) {
        return CAPTURED_EVENT;
    }
    if (!x->timing || !y->timing) {
        return INVALID_HANDLE; /* an event made with CU_EVENT_DISABLE_TIMING */
    }
    *ms = (float) ((((Event *) b)->seconds - ((Event *) a)->seconds) * 1e3);
    return SUCCESS;
}

API CUresult cuStreamWaitEvent(void *s, void *e, unsigned int) {
    ENTER();
    Event *ev = (Event *) e;
    Stream *st = stream_of(s);
    bool live = false;
    for (Stream *o : streams) {
        live |= o->capture != nullptr && o->capture == ev->capture && o->capture->id == ev->capture_id;
    }
    if (ev->capture == nullptr || !live) {
        return SUCCESS; /* the event's work has run: streams run at once here */
    }
    if (st->capture != nullptr && st->capture != ev->capture) {
        return ILLEGAL_STATE; /* joining two captures */
    }
    if (st->capture == nullptr) {
        st->capture = ev->capture;
        st->origin = false;
        st->frontier.clear();
    }
    st->frontier = merged(st->frontier, ev->deps);
    return SUCCESS;
}

/* ------------------------------------------------------------------ graphs */

API CUresult cuStreamBeginCapture_v2(void *s, int mode) {
    ENTER();
    if (s == nullptr) {
        return INVALID_VALUE; /* capture may not begin on the legacy NULL stream */
    }
    Stream *st = stream_of(s);
    if (st->capture != nullptr) {
        return ILLEGAL_STATE;
    }
    static long captures = 0;
    st->capture = new Graph();
    st->capture->id = ++captures;
    st->capture->thread = pthread_self();
    st->origin = true;
    st->mode = mode;
    st->frontier.clear();
    return SUCCESS;
}

API CUresult cuStreamEndCapture(void *s, void **graph) {
    ENTER();
    Stream *st = stream_of(s);
    if (st->capture == nullptr || !st->origin) {
        return CAPTURE_UNMATCHED;
    }
    Graph *g = st->capture;
    std::vector<bool> joined = ancestors(*g, st->frontier);
    CUresult r = g->invalidated ? CAPTURE_INVALIDATED : SUCCESS;
    for (Stream *o : streams) {
        if (o->capture != g) {
            continue;
        }
        for (int v : o->frontier) {
            if (!joined[v] && r == SUCCESS) {
                std::fprintf(stderr, "dendrite emulator: a stream forked from the capture did not join it back "
                             "(node %d, kernel %s) (CUDA_ERROR_STREAM_CAPTURE_UNJOINED)\n", v,
                             g->nodes[v].kernel != nullptr ? g->nodes[v].kernel->name : "-");
                r = CAPTURE_UNJOINED;
            }
        }
        o->capture = nullptr;
        o->frontier.clear();
        o->origin = false;
    }
    if (default_stream.capture == g) {
        default_stream.capture = nullptr;
    }
    if (r != SUCCESS) {
        if (g->invalidated) {
            std::fprintf(stderr, "dendrite emulator: capture invalidated: %s\n", g->why_invalid.c_str());
        }
        delete g;
        *graph = nullptr;
        return r;
    }
    *graph = g;
    return SUCCESS;
}

API CUresult cuGraphDestroy(void *g) {
    ENTER();
    delete (Graph *) g;
    return SUCCESS;
}

API CUresult cuGraphInstantiateWithFlags(void **exec, void *g, unsigned long long) {
    ENTER();
    Exec *x = new Exec();
    x->graph = *(Graph *) g;
    *exec = x;
    return SUCCESS;
}

API CUresult cuGraphExecDestroy(void *x) {
    ENTER();
    delete (Exec *) x;
    return SUCCESS;
}

static const char *node_name(const Node &v) {
    return v.kind == Node::KERNEL ? v.kernel->name : v.kind == Node::HOST ? "cublas" : v.kind == Node::COPY
           ? "copy" : "memset";
}

/* A graph's nodes and edges, and its critical path: the longest chain of nodes that must run one after another.
 * At the course's batch sizes each node costs about a launch on a GPU, whatever its size, so the chain's length
 * bounds a replayed step's time from below however many nodes run beside it. Capture adds a node after all its
 * dependencies, so the node order is already topological. */
static void describe_graph(const Graph &g) {
    size_t n = g.nodes.size();
    int kernels = 0, host = 0, other = 0, edge_count = 0, programmatic = 0;
    std::string names;
    std::vector<int> depth(n, 1), before(n, -1);
    for (size_t v = 0; v < n; v++) {
        const Node &node = g.nodes[v];
        kernels += node.kind == Node::KERNEL;
        host += node.kind == Node::HOST;
        other += node.kind == Node::MEMSET || node.kind == Node::COPY;
        edge_count += (int) node.deps.size();
        for (bool p : node.programmatic) {
            programmatic += p;
        }
        for (int d : node.deps) {
            if (depth[d] + 1 > depth[v]) {
                depth[v] = depth[d] + 1;
                before[v] = d;
            }
        }
        names += node_name(node);
        names += " ";
    }
    std::fprintf(stderr, "dendrite emulator: graph of %zu nodes (%d kernels, %d cuBLAS calls, %d copies and memsets), "
                 "%d edges (%d programmatic): %s\n", n, kernels, host, other, edge_count, programmatic, names.c_str());
    if (n == 0) {
        return;
    }
    int last = (int) (std::max_element(depth.begin(), depth.end()) - depth.begin());
    std::vector<int> path;
    for (int v = last; v >= 0; v = before[v]) {
        path.push_back(v);
    }
    std::string chain; /* each node with its place in the list above, so that two alike nodes can be told apart */
    for (size_t i = path.size(); i-- > 0;) {
        chain += std::string(node_name(g.nodes[path[i]])) + "#" + std::to_string(path[i]);
        chain += i > 0 ? " > " : "";
    }
    std::fprintf(stderr, "dendrite emulator: critical path of %zu nodes: %s\n", path.size(), chain.c_str());
}

API CUresult cuGraphLaunch(void *x, void *s) {
    ENTER();
    if (stream_of(s)->capture != nullptr) {
        return CAPTURE_UNSUPPORTED; /* the backend never nests its graphs */
    }
    Exec *exec = (Exec *) x;
    const Graph &g = exec->graph;
    size_t n = g.nodes.size();
    if (describing_graphs() && !exec->traced) {
        exec->traced = true; /* once per instance: a training run replays one graph thousands of times */
        describe_graph(g);
    }
    std::vector<int> waiting(n);
    std::vector<std::vector<int>> next(n);
    for (size_t v = 0; v < n; v++) {
        waiting[v] = (int) g.nodes[v].deps.size();
        for (int d : g.nodes[v].deps) {
            next[d].push_back((int) v);
        }
    }
    std::set<int> ready;
    for (size_t v = 0; v < n; v++) {
        if (waiting[v] == 0) {
            ready.insert((int) v);
        }
    }
    bool reverse = demu::reverse_order();
    /* The first launch of each instance is recorded node by node and checked for races (races.cc); later ones run
     * as they are, since a training run replays one graph thousands of times. */
    bool check = demu::races_checked() && !exec->checked;
    exec->checked = true;
    std::vector<demu::Footprint> prints(check ? n : 0);
    std::vector<int> order;
    while (!ready.empty()) {
        int v = reverse ? *ready.rbegin() : *ready.begin();
        ready.erase(v);
        order.push_back(v);
        demu::recording = check ? &prints[v] : nullptr;
        CUresult r = run(g.nodes[v]);
        demu::recording = nullptr;
        if (r != SUCCESS) {
            return r;
        }
        for (int w : next[v]) {
            if (--waiting[w] == 0) {
                ready.insert(w);
            }
        }
    }
    if (check) {
        std::vector<std::vector<int>> deps(n);
        std::vector<std::string> names(n);
        for (size_t v = 0; v < n; v++) {
            deps[v] = g.nodes[v].deps;
            names[v] = describe(g.nodes[v]);
        }
        std::string why = demu::find_races(prints, deps, order, names, in_device);
        if (!why.empty()) {
            std::fprintf(stderr, "dendrite emulator: a graph of %zu nodes: %s (CUDA_ERROR_LAUNCH_FAILED)\n", n,
                         why.c_str());
            return LAUNCH_FAILED;
        }
    }
    return SUCCESS;
}

API CUresult cuGraphGetNodes(void *graph, void **nodes, size_t *count) {
    ENTER();
    const Graph &g = *(Graph *) graph;
    if (nodes != nullptr) {
        for (size_t i = 0; i < *count && i < g.nodes.size(); i++) {
            nodes[i] = (void *) (uintptr_t) (i + 1);
        }
    }
    *count = g.nodes.size();
    return SUCCESS;
}

static CUresult edges(void *graph, void **from, void **to, DendriteGraphEdgeData *data, size_t *count) {
    ENTER();
    const Graph &g = *(Graph *) graph;
    size_t e = 0;
    for (size_t v = 0; v < g.nodes.size(); v++) {
        for (size_t i = 0; i < g.nodes[v].deps.size(); i++, e++) {
            if (from == nullptr || e >= *count) {
                continue;
            }
            from[e] = (void *) (uintptr_t) (g.nodes[v].deps[i] + 1);
            to[e] = (void *) (uintptr_t) (v + 1);
            if (data != nullptr) {
                bool p = g.nodes[v].programmatic[i];
                data[e] = DendriteGraphEdgeData{(unsigned char) (p ? 1 : 0), 0,
                                                (unsigned char) (p ? DENDRITE_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC : 0),
                                                {0, 0, 0, 0, 0}};
            }
        }
    }
    *count = e;
    return SUCCESS;
}

API CUresult cuGraphGetEdges(void *graph, void **from, void **to, size_t *count) {
    return edges(graph, from, to, nullptr, count);
}

API CUresult cuGraphGetEdges_v2(void *graph, void **from, void **to, DendriteGraphEdgeData *data, size_t *count) {
    return edges(graph, from, to, data, count);
}

/* ------------------------------------------------------------------ the fake cuBLAS's work */

extern "C" __attribute__((visibility("default"))) int dendrite_emu_inside(const void *p, size_t bytes) {
    std::lock_guard<std::recursive_mutex> guard(lock);
    return inside((uintptr_t) p, bytes) != nullptr;
}

/* Whether a library call CUDA refuses during a capture (`what`, for the message) must fail now: it then invalidates the
 * capture as refuse_during_capture does. For the fake cuBLASLt's heuristic. */
extern "C" __attribute__((visibility("default"))) int dendrite_emu_capture_refuses(const char *what) {
    std::lock_guard<std::recursive_mutex> guard(lock);
    return refuse_during_capture(what) != SUCCESS;
}

extern "C" __attribute__((visibility("default"))) int dendrite_emu_enqueue(void *stream, demu::HostWork work,
                                                                           void *data, demu::HostWork release) {
    std::lock_guard<std::recursive_mutex> guard(lock);
    if (lost != SUCCESS) {
        if (release != nullptr) {
            release(data);
        }
        return lost;
    }
    Node n;
    n.kind = Node::HOST;
    n.work = work;
    n.data = std::shared_ptr<void>(data, [release](void *d) {
        if (release != nullptr) {
            release(d);
        }
    });
    return submit(stream, std::move(n), false);
}
