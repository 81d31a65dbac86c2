/*
 * scheduler.cc - runs a kernel launch on the host: the blocks one after another, each block's threads as fibers
 * on one host thread. A fiber runs until it ends or reaches a barrier; when every runnable fiber has stopped,
 * a warp whose live lanes all wait at a warp point goes on first, then the block barrier opens once every live
 * thread waits there. Anything else is a kernel that would hang or race on a GPU, and is reported.
 *
 * The fiber switch is ten instructions of x86-64 (callee-saved registers and the stack pointer): the CPU
 * signal mask that ucontext's swapcontext saves costs a system call per switch, and a launch switches twice per
 * thread at least.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "kernel_shim.h"

extern "C" void demu_switch(void **save_sp, void *load_sp);
asm(R"(
    .text
    .globl demu_switch
    .type demu_switch, @function
demu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size demu_switch, .-demu_switch
)");

/* The linker's bounds of the demu_shared section (kernel_shim.h's __shared__). */
extern "C" char __start_demu_shared[] __attribute__((weak));
extern "C" char __stop_demu_shared[] __attribute__((weak));

namespace demu {

thread_local ThreadView *current = nullptr;

namespace {

enum State { READY, AT_BARRIER, AT_WARP, DONE };

/* Kernels keep small arrays in registers (GEMM tiles of a few hundred floats; -fstack-usage: at most 832 bytes a
 * frame); glibc's math needs little. The lowest page of each stack is a guard: an overflow faults, and the fault
 * becomes the launch's error (driver.cc), instead of writing over the next fiber's frames. */
constexpr size_t STACK_BYTES = 64 * 1024;
constexpr int MAX_THREADS = 1024;

struct Fiber {
    ThreadView view;
    void *sp;
    State state;
};

struct Block {
    Fiber *fibers = nullptr;
    int n = 0;
    void *scheduler_sp = nullptr;
    uint64_t slots[MAX_THREADS];
    const Kernel *kernel = nullptr;
    void **params = nullptr;
};

thread_local Block *block = nullptr;
thread_local Fiber *running = nullptr;
char *stacks = nullptr; /* MAX_THREADS stacks, mapped once, touched as used */
/* The launch's dynamic shared memory, its own mapping ending at a page nothing may touch, as cuMemAlloc's buffers. */
GuardedMapping dynamic_mapping{nullptr, 0, nullptr};
char *dynamic_memory = nullptr;
size_t dynamic_bytes = 0;
std::string shuffle_fault; /* a shuffle that read a lane which had ended */

void yield(State s) {
    running->state = s;
    demu_switch(&running->sp, block->scheduler_sp);
}

extern "C" void demu_fiber_main() {
    block->kernel->invoke(block->params);
    running->state = DONE;
    demu_switch(&running->sp, block->scheduler_sp);
    std::abort(); /* a finished fiber is never resumed */
}

void *initial_stack(int i) {
    /* demu_switch pops six registers, then returns into demu_fiber_main with the stack as a call leaves it
     * (8 mod 16): a zero return address above it, so that a backtrace ends there. */
    uintptr_t top = (uintptr_t) (stacks + (size_t) (i + 1) * STACK_BYTES);
    void **sp = (void **) (top & ~(uintptr_t) 15);
    *--sp = nullptr;
    *--sp = (void *) &demu_fiber_main;
    for (int r = 0; r < 6; r++) {
        *--sp = nullptr;
    }
    return sp;
}

const char *state_name(State s) {
    switch (s) {
        case READY: return "running";
        case AT_BARRIER: return "at __syncthreads";
        case AT_WARP: return "at a warp point";
        default: return "ended";
    }
}

/* Runs one block to its end; an empty string, or why it cannot end. */
std::string run_block(Dim3 b, Dim3 grid, Dim3 dim, int n, Fiber *fibers) {
    if (__start_demu_shared != nullptr) {
        std::memset(__start_demu_shared, 0x7F, (size_t) (__stop_demu_shared - __start_demu_shared));
    }
    std::memset(dynamic_memory, 0x7F, dynamic_bytes);
    for (int i = 0; i < n; i++) {
        Fiber &f = fibers[i];
        f.view.thread = Dim3{(unsigned) (i % dim.x), (unsigned) ((i / dim.x) % dim.y), (unsigned) (i / (dim.x * dim.y))};
        f.view.block = b;
        f.view.block_dim = dim;
        f.view.grid_dim = grid;
        f.view.linear = i;
        f.view.barriers = 0;
        f.view.warp_syncs = 0;
        f.state = READY;
        f.sp = initial_stack(i);
    }
    block->fibers = fibers;
    block->n = n;
    bool reverse = reverse_order();
    int live = n;
    while (true) {
        for (int j = 0; j < n; j++) {
            Fiber &f = fibers[reverse ? n - 1 - j : j];
            if (f.state != READY) {
                continue;
            }
            running = &f;
            current = &f.view;
            demu_switch(&block->scheduler_sp, f.sp);
            if (f.state == DONE) {
                live--;
            }
        }
        running = nullptr;
        current = nullptr;
        if (!shuffle_fault.empty()) {
            std::string why = "block (" + std::to_string(b.x) + "," + std::to_string(b.y) + "," + std::to_string(b.z)
                              + "): " + shuffle_fault;
            shuffle_fault.clear();
            return why;
        }
        if (live == 0) {
            return "";
        }
        bool released = false;
        for (int w = 0; w * 32 < n; w++) {
            int waiting = 0;
            int alive = 0;
            for (int i = w * 32; i < n && i < w * 32 + 32; i++) {
                alive += fibers[i].state != DONE;
                waiting += fibers[i].state == AT_WARP;
            }
            if (waiting > 0 && waiting == alive) {
                for (int i = w * 32; i < n && i < w * 32 + 32; i++) {
                    if (fibers[i].state == AT_WARP) {
                        fibers[i].state = READY;
                    }
                }
                released = true;
            }
        }
        if (released) {
            continue;
        }
        int at_barrier = 0;
        for (int i = 0; i < n; i++) {
            at_barrier += fibers[i].state == AT_BARRIER;
        }
        if (at_barrier == live) {
            for (int i = 0; i < n; i++) {
                if (fibers[i].state == AT_BARRIER) {
                    fibers[i].state = READY;
                }
            }
            continue;
        }
        std::ostringstream why;
        why << "block (" << b.x << "," << b.y << "," << b.z << ") cannot go on:";
        for (int i = 0; i < n; i++) {
            if (fibers[i].state != DONE) {
                why << " thread " << i << " " << state_name(fibers[i].state) << ";";
                if (why.tellp() > 400) {
                    why << " ...";
                    break;
                }
            }
        }
        why << " (a barrier that not every live thread of the block, or lane of the warp, reaches)";
        return why.str();
    }
}

}  // namespace

void syncthreads() {
    running->view.barriers++; /* counted before the wait: what this thread does after it is ordered after the others' */
    yield(AT_BARRIER);
}

/* A shuffle (exchange) waits too, but is not counted: only __syncwarp orders the lanes' memory accesses in CUDA's
 * memory model. */
void syncwarp() {
    running->view.warp_syncs++;
    yield(AT_WARP);
}

uint64_t exchange(uint64_t mine, int src_lane) {
    int me = running->view.linear;
    block->slots[me] = mine;
    yield(AT_WARP);
    int src = (me & ~31) + src_lane;
    uint64_t got = mine;
    if (src < block->n && block->fibers[src].state != DONE) {
        got = block->slots[src];
    } else if (shuffle_fault.empty()) {
        shuffle_fault = "thread " + std::to_string(me) + " shuffles from lane " + std::to_string(src_lane)
                        + (src < block->n ? ", which has ended" : ", which the block does not have")
                        + " (undefined with a full mask)";
    }
    yield(AT_WARP); /* every lane has read before any lane writes its slot again */
    return got;
}

void *dynamic_shared() { return dynamic_memory; }

bool reverse_order() {
    static int reverse = -1;
    if (reverse < 0) {
        const char *order = std::getenv("DENDRITE_EMU_ORDER");
        reverse = order != nullptr && std::strcmp(order, "reverse") == 0;
    }
    return reverse == 1;
}

GuardedMapping map_guarded(size_t bytes, size_t align) {
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t rounded = (bytes + align - 1) / align * align;
    size_t body = (rounded + page - 1) / page * page;
    size_t mapped = body + page;
    void *m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        return GuardedMapping{nullptr, 0, nullptr};
    }
    mprotect((char *) m + body, page, PROT_NONE);
    return GuardedMapping{m, mapped, (char *) m + body - rounded};
}

std::string refusal(const Kernel &k, Dim3 grid, Dim3 dim, size_t dynamic_shared_bytes) {
    unsigned long long n = (unsigned long long) dim.x * dim.y * dim.z;
    std::ostringstream why;
    if (n == 0 || n > MAX_THREADS || dim.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7FFFFFFFu
        || grid.y > 65535 || grid.z > 65535 || dynamic_shared_bytes > 49152) {
        why << k.name << " launched with grid " << grid.x << "x" << grid.y << "x" << grid.z << ", block " << dim.x << "x"
            << dim.y << "x" << dim.z << ", " << dynamic_shared_bytes << " bytes of dynamic shared memory; a GPU takes 1.."
            << MAX_THREADS << " threads a block (z at most 64), a grid of at most 2^31-1 x 65535 x 65535 and 48 KiB";
    } else if (k.max_threads != 0 && n > k.max_threads) {
        why << k.name << " launched with " << n << " threads a block, past its __launch_bounds__ of " << k.max_threads;
    }
    return why.str();
}

std::string launch(const Kernel &k, Dim3 grid, Dim3 dim, size_t dynamic_shared_bytes, void **params) {
    long n = (long) dim.x * dim.y * dim.z;
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    if (stacks == nullptr) {
        void *m = mmap(nullptr, MAX_THREADS * STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (m == MAP_FAILED) {
            return "no memory for the fibers' stacks";
        }
        stacks = (char *) m;
        for (int i = 0; i < MAX_THREADS; i++) {
            mprotect(stacks + (size_t) i * STACK_BYTES, page, PROT_NONE);
        }
    }
    size_t rounded = (dynamic_shared_bytes + 15) & ~(size_t) 15;
    if (dynamic_mapping.base == nullptr || dynamic_bytes != rounded) {
        if (dynamic_mapping.base != nullptr) {
            munmap(dynamic_mapping.mapping, dynamic_mapping.mapped);
        }
        dynamic_mapping = map_guarded(rounded, 16);
        if (dynamic_mapping.base == nullptr) {
            return "no memory for the launch's dynamic shared memory";
        }
    }
    dynamic_memory = dynamic_mapping.base;
    dynamic_bytes = rounded;
    static Fiber fibers[MAX_THREADS];
    Block b;
    b.kernel = &k;
    b.params = params;
    block = &b;
    std::string why;
    /* Reversed, the last block runs first: a kernel whose "last block to finish" logic assumed the highest index
     * finishes last, or whose blocks read what a later block writes, shows it. */
    unsigned long long blocks = (unsigned long long) grid.x * grid.y * grid.z;
    bool reverse = reverse_order();
    for (unsigned long long i = 0; i < blocks && why.empty(); i++) {
        unsigned long long b = reverse ? blocks - 1 - i : i;
        Dim3 at{(unsigned) (b % grid.x), (unsigned) ((b / grid.x) % grid.y), (unsigned) (b / ((unsigned long long) grid.x * grid.y))};
        why = run_block(at, grid, dim, (int) n, fibers);
    }
    block = nullptr;
    return why.empty() ? why : std::string(k.name) + ": " + why;
}

}  // namespace demu
