/*
 * emu.h - what the emulator's parts share: the block scheduler that runs a kernel's threads as fibers
 * (scheduler.cc), the kernel table (made by build.sh from kernels/cuda), and the queue that the fake driver
 * (driver.cc) and the fake cuBLAS (cublas.cc) put their work on.
 *
 * Device memory is host memory here: a CUdeviceptr is a host address, so a kernel reads its arguments as they
 * are and cuBLAS's products are plain loops.
 */
#ifndef DENDRITE_EMU_H
#define DENDRITE_EMU_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace demu {

struct Dim3 {
    unsigned int x, y, z;
};

/* One kernel of kernels/cuda: its name, the size of each parameter, and a call of it with CUDA's packed
 * parameters (kernelParams[i] points to the value of parameter i). */
struct Kernel {
    const char *name;
    std::vector<size_t> param_sizes;
    void (*invoke)(void **params);
    unsigned int max_threads; /* its __launch_bounds__, or 0: a launch with more threads a block fails on a GPU */
};

/* The table build.sh generates (kernels.cc); null when name is not a kernel. */
const Kernel *find_kernel(const char *name);
size_t kernel_count();

/* Why a GPU would refuse to launch k so (too many threads a block, past its __launch_bounds__, a grid or dynamic
 * shared memory past the limits), or an empty string. The driver asks before it takes a launch. */
std::string refusal(const Kernel &k, Dim3 grid, Dim3 block, size_t dynamic_shared);

/* Runs kernel k, a launch refusal() accepts, on a grid of blocks, each block's threads as fibers. Returns an empty
 * string, or what went wrong (a barrier some threads of the block never reached). */
std::string launch(const Kernel &k, Dim3 grid, Dim3 block, size_t dynamic_shared, void **params);

/* A fresh read-write mapping whose last `bytes` (rounded up to `align`) end at a page nothing may touch, so that a
 * run past their end faults: device memory and a launch's dynamic shared memory. */
struct GuardedMapping {
    void *mapping;  /* for munmap or mmap(MAP_FIXED) */
    size_t mapped;
    char *base;     /* the buffer: aligned to `align`, ending at the guard page; null when the mapping failed */
};
GuardedMapping map_guarded(size_t bytes, size_t align);

/* The order in which a block's threads, and a graph's ready nodes, run (DENDRITE_EMU_ORDER): false is the
 * order they were issued in, true the reverse. A kernel or a graph that is right gives the same results either
 * way; a race between threads (or a dependency a graph lacks) shows as a difference. */
bool reverse_order();

/*
 * A node's footprint (races.cc): the device memory it read, wrote and changed with atomics, in 4-byte words, a
 * 16-bit mask of each 64-byte line. Recorded while `recording` points to one: the driver sets it around each node
 * of a graph's first launch, and then asks find_races whether two nodes the graph does not order clash.
 */
enum AccessKind { READ = 0, WRITE = 1, ATOMIC = 2 };
struct Footprint {
    struct Words {
        uint16_t read = 0, write = 0, atomic = 0;
    };
    std::unordered_map<uintptr_t, Words> lines; /* by address / 64 */
};
extern Footprint *recording;
/*
 * Which blocks of one kernel launch touched each word, for races between the blocks of a kernel (races.cc): set by
 * the driver around the first launch of each configuration of each kernel. A block's accesses after it has made an
 * atomic are in a second phase, ordered after every block's first: the ticket that lets the last block read what
 * the others wrote (dendrite_finish_stats, the counters' last group).
 */
struct BlockWords {
    struct Phase {
        int writer = -1, reader = -1;   /* the first block that wrote (plainly or atomically), and that read */
        bool atomic_only = true;        /* every write so far atomic: another atomic does not clash with them */
        int other_reader = -1;          /* a second block that read */
        int clash_a = -1, clash_b = -1; /* the two blocks of the first clash, if any */
        bool clash_write = false;       /* whether clash_b wrote */
    };
    struct Word {
        Phase phase[2];
    };
    std::unordered_map<uintptr_t, Word> words; /* by address / 4 */
    int block = -1;                            /* the block that ran last, and its phase */
    int phase = 0;
    /* Within the block that runs: the threads' accesses to each word (shared memory included), for races between
     * threads of one block that no barrier separates. Cleared when the next block starts. */
    struct Access {
        int thread = -1;
        unsigned barriers = 0, warp_syncs = 0;
    };
    struct ThreadWord {
        Access write, read, other_read; /* the last write; the first two readers since it */
        bool atomic = false;            /* the last write was an atomic */
    };
    std::unordered_map<uintptr_t, ThreadWord> block_words;
    std::string thread_clash; /* the first, described, and its word */
    uintptr_t thread_clash_word = 0;
};
extern BlockWords *block_recording;
/* The first clash between blocks on device memory that `words` holds, or between threads of a block on any memory,
 * described for kernel `name`, or "". */
std::string block_clash(const BlockWords &words, const char *name, bool (*in_device)(uintptr_t));
void note(uintptr_t p, size_t bytes, int kind);
/* What the shim's atomics call (they are not instrumented). */
void atomic_access(const void *p, size_t bytes);
/* DENDRITE_EMU_RACES (default on; 0: off): whether the driver records and checks a graph's first launch. */
bool races_checked();
/* The clashes between nodes of one graph that no path orders (deps[v]: v's dependencies; order: the nodes as the
 * launch ran them), described with the nodes' names, or an empty string. in_device: whether an address is in a
 * device allocation. */
std::string find_races(const std::vector<Footprint> &prints, const std::vector<std::vector<int>> &deps,
                       const std::vector<int> &order, const std::vector<std::string> &names,
                       bool (*in_device)(uintptr_t));

/* Work that the fake cuBLAS puts on a stream: run at once, or recorded as a node when the stream is being
 * captured (declared extern "C" so that libcublas.so.12 finds it in libcuda.so.1). */
typedef void (*HostWork)(void *data);

}  // namespace demu

extern "C" int dendrite_emu_enqueue(void *stream, demu::HostWork work, void *data, demu::HostWork release);

#endif
