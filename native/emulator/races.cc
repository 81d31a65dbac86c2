/*
 * races.cc - which device memory each node of a graph reads and writes, and whether two nodes that the graph lets
 * run at the same time touch the same bytes with at least one writing: a race on the GPU, where the emulator
 * would otherwise run them one after the other and hide it (a branch's stream, by-layer updates, hand-offs). The
 * same for the blocks of one kernel launch (BlockWords, emu.h), which the emulator also runs one after another, and
 * for the threads of a block between barriers, which run as fibers that switch only at barriers and shuffles.
 *
 * How a node's accesses are seen:
 *   - kernels: build.sh compiles them with ThreadSanitizer's instrumentation, which calls __tsan_readN /
 *     __tsan_writeN before every load and store; they are defined here, and only note the address while a node is
 *     being recorded. Nothing of ThreadSanitizer's runtime is linked or used. (AddressSanitizer's callbacks would
 *     not do: its optimiser drops a store's check after a load of the same address, since it only asks whether
 *     memory may be touched, so a read-modify-write would look like a read.)
 *   - atomics: the shim's atomic functions are not instrumented and note themselves (atomic_access), since two
 *     atomics on one word from two nodes do not race, while an atomic and a plain access do.
 *   - cuBLAS calls: cublas.cc notes each column of A, B and C, alpha and beta in device memory, and the handle's
 *     workspace's first word (as written: two products on one workspace clash) through dendrite_emu_note;
 *   - copies and memsets: the driver notes their ranges.
 * Words (4 bytes) are the unit: a 1- or 2-byte access marks its whole word, so two nodes writing different bytes of
 * one word would be reported (no kernel of kernels/cuda does that). Only the first launch of a graph instance is
 * recorded (the driver decides), and a node's accesses outside device allocations (its fiber's stack, shared
 * memory) are dropped when the pairs are compared.
 */
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel_shim.h"

namespace demu {

Footprint *recording = nullptr;
BlockWords *block_recording = nullptr;

/* Whether anything records accesses now: false for nearly every access, so the callbacks test it inline. */
inline bool checking() { return recording != nullptr || block_recording != nullptr; }

namespace {

/* One block's access to one word, against what the other blocks of the launch did in the same phase. */
void note_block(BlockWords &bw, uintptr_t word, int kind) {
    BlockWords::Phase &p = bw.words[word].phase[bw.phase];
    int b = bw.block;
    bool writes = kind != READ;
    int other = -1;
    if (writes) {
        if (p.writer >= 0 && p.writer != b && !(kind == ATOMIC && p.atomic_only)) {
            other = p.writer;
        } else if (p.reader >= 0) {
            other = p.reader != b ? p.reader : p.other_reader;
        }
        if (p.writer < 0) {
            p.writer = b;
        }
        p.atomic_only = p.atomic_only && kind == ATOMIC;
    } else {
        if (p.writer >= 0 && p.writer != b) {
            other = p.writer;
        }
        if (p.reader < 0) {
            p.reader = b;
        } else if (p.reader != b && p.other_reader < 0) {
            p.other_reader = b;
        }
    }
    if (other != -1 && p.clash_a == -1) {
        p.clash_a = other;
        p.clash_b = b;
        p.clash_write = writes;
    }
}

/* Whether a's access and b's are ordered: the same thread, a block barrier between them, or a __syncwarp between
 * two lanes of one warp (every thread passes the same barriers in order, so a different count means one between). */
bool ordered(const BlockWords::Access &a, const BlockWords::Access &b) {
    return a.thread == b.thread || a.barriers != b.barriers
           || (a.thread / 32 == b.thread / 32 && a.warp_syncs != b.warp_syncs);
}

/* One thread's access to one word, against the block's other threads. */
void note_thread(BlockWords &bw, uintptr_t word, int kind, const ThreadView &t) {
    BlockWords::ThreadWord &w = bw.block_words[word];
    BlockWords::Access me{t.linear, t.barriers, t.warp_syncs};
    const BlockWords::Access *other = nullptr;
    if (w.write.thread >= 0 && !ordered(w.write, me) && !(kind == ATOMIC && w.atomic)) {
        other = &w.write;
    } else if (kind != READ && w.read.thread >= 0 && !ordered(w.read, me)) {
        other = &w.read;
    } else if (kind != READ && w.other_read.thread >= 0 && !ordered(w.other_read, me)) {
        other = &w.other_read;
    }
    if (other != nullptr && bw.thread_clash.empty()) {
        char why[300];
        std::snprintf(why, sizeof why, "thread %d %s word 0x%lx, which thread %d %s with no barrier between",
                      me.thread, kind == READ ? "reads" : "writes", (unsigned long) (word << 2), other->thread,
                      other == &w.write ? "wrote" : "read");
        bw.thread_clash = "block " + std::to_string(bw.block) + ": " + why;
        bw.thread_clash_word = word;
    }
    if (kind != READ) {
        w.write = me;
        w.atomic = kind == ATOMIC;
        w.read = w.other_read = BlockWords::Access{};
    } else if (w.read.thread < 0) {
        w.read = me;
    } else if (w.read.thread != me.thread && w.other_read.thread < 0) {
        w.other_read = me;
    }
}

int linear_block() {
    const ThreadView *t = current;
    return t == nullptr ? -1 : (int) (t->block.x + t->grid_dim.x * (t->block.y + t->grid_dim.y * t->block.z));
}

}  // namespace

void note(uintptr_t p, size_t bytes, int kind) {
    if (!checking()) {
        return;
    }
    BlockWords *bw = block_recording;
    if (bw != nullptr && bytes > 0) {
        int b = linear_block();
        if (b >= 0) {
            if (b != bw->block) { /* blocks run one after another: a new one starts in the first phase */
                bw->block = b;
                bw->phase = 0;
                bw->block_words.clear();
            }
            for (uintptr_t w = p >> 2, last = (p + bytes - 1) >> 2; w <= last; w++) {
                note_block(*bw, w, kind);
                note_thread(*bw, w, kind, *current);
            }
            if (kind == ATOMIC) {
                bw->phase = 1;
            }
        }
    }
    Footprint *f = recording;
    if (f == nullptr || bytes == 0) {
        return;
    }
    for (uintptr_t w = p >> 2, last = (p + bytes - 1) >> 2; w <= last; w++) {
        Footprint::Words &m = f->lines[w >> 4];
        uint16_t bit = (uint16_t) (1u << (w & 15));
        if (kind == ATOMIC) {
            m.atomic |= bit;
        } else if (kind == WRITE) {
            m.write |= bit;
        } else {
            m.read |= bit;
        }
    }
}

void atomic_access(const void *p, size_t bytes) { note((uintptr_t) p, bytes, ATOMIC); }

std::string block_clash(const BlockWords &bw, const char *name, bool (*in_device)(uintptr_t)) {
    if (!bw.thread_clash.empty()) {
        return std::string("kernel ") + name + ", " + bw.thread_clash + " (a race between threads on a GPU; "
               + (in_device(bw.thread_clash_word << 2) ? "device" : "shared") + " memory)";
    }
    size_t clashes = 0;
    uintptr_t first = UINTPTR_MAX;
    const BlockWords::Phase *at = nullptr;
    for (const auto &entry : bw.words) {
        for (const BlockWords::Phase &p : entry.second.phase) {
            if (p.clash_a == -1 || !in_device(entry.first << 2)) {
                continue; /* shared memory and the fibers' stacks are each block's own */
            }
            clashes++;
            if ((entry.first << 2) < first) {
                first = entry.first << 2;
                at = &p;
            }
        }
    }
    if (at == nullptr) {
        return "";
    }
    char why[400];
    std::snprintf(why, sizeof why, "kernel %s: %zu word(s) of device memory touched by two of its blocks, one of "
                  "them writing, with no atomic ticket between (a race between blocks on a GPU); the first at 0x%lx, "
                  "block %d then block %d (%s)", name, clashes, (unsigned long) first, at->clash_a, at->clash_b,
                  at->clash_write ? "writes" : "reads");
    return why;
}

namespace {

/* The words of one 64-byte line that u and v both touch, one of them writing (an atomic against an atomic is not a
 * race: the hardware orders them). */
uint16_t conflict(const Footprint::Words &u, const Footprint::Words &v) {
    return (uint16_t) ((u.write & (v.read | v.write | v.atomic)) | (v.write & (u.read | u.atomic))
                       | (u.atomic & v.read) | (v.atomic & u.read));
}

struct Clash {
    int u, v;
    uintptr_t first;   /* lowest address both touch */
    size_t words = 0;  /* how many words in all */
    bool u_writes = false, v_writes = false;
};

}  // namespace

std::string find_races(const std::vector<Footprint> &prints, const std::vector<std::vector<int>> &deps,
                       const std::vector<int> &order, const std::vector<std::string> &names,
                       bool (*in_device)(uintptr_t)) {
    size_t n = prints.size();
    size_t words = (n + 63) / 64;
    /* before[v]: every node a path of the graph runs ahead of v, filled in the order the launch ran them (one
     * its edges allow, so a node's dependencies are complete when it comes). */
    std::vector<std::vector<uint64_t>> before(n, std::vector<uint64_t>(words, 0));
    for (int v : order) {
        for (int d : deps[v]) {
            for (size_t i = 0; i < words; i++) {
                before[v][i] |= before[d][i];
            }
            before[v][d / 64] |= 1ull << (d % 64);
        }
    }
    std::vector<Clash> clashes;
    std::unordered_map<uintptr_t, bool> device_line;
    auto on_device = [&](uintptr_t line) {
        auto it = device_line.find(line);
        if (it != device_line.end()) {
            return it->second;
        }
        bool d = in_device(line << 6) || in_device((line << 6) + 63);
        device_line.emplace(line, d);
        return d;
    };
    for (size_t v = 1; v < n; v++) {
        for (size_t u = 0; u < v; u++) {
            if (((before[v][u / 64] >> (u % 64)) & 1) || ((before[u][v / 64] >> (v % 64)) & 1)) {
                continue;  /* ordered: one finishes before the other starts */
            }
            const Footprint &a = prints[u].lines.size() <= prints[v].lines.size() ? prints[u] : prints[v];
            const Footprint &b = &a == &prints[u] ? prints[v] : prints[u];
            Clash c{(int) u, (int) v, UINTPTR_MAX};
            for (const auto &entry : a.lines) {
                auto it = b.lines.find(entry.first);
                if (it == b.lines.end()) {
                    continue;
                }
                uint16_t bits = conflict(entry.second, it->second);
                if (bits == 0 || !on_device(entry.first)) {
                    continue;
                }
                c.words += (size_t) __builtin_popcount(bits);
                uintptr_t at = (entry.first << 6) + 4 * (uintptr_t) __builtin_ctz(bits);
                if (at < c.first) {
                    c.first = at;
                    const Footprint::Words &wu = prints[u].lines.at(entry.first), &wv = prints[v].lines.at(entry.first);
                    uint16_t bit = (uint16_t) (bits & -bits);
                    c.u_writes = ((wu.write | wu.atomic) & bit) != 0;
                    c.v_writes = ((wv.write | wv.atomic) & bit) != 0;
                }
            }
            if (c.words > 0) {
                clashes.push_back(c);
            }
        }
    }
    if (clashes.empty()) {
        return "";
    }
    std::string why = std::to_string(clashes.size()) + " pair(s) of nodes that no path of the graph orders touch the "
                      "same device memory, one of them writing (a race on a GPU, where they may run at once):";
    for (size_t i = 0; i < clashes.size() && i < 6; i++) {
        const Clash &c = clashes[i];
        char line[512];
        std::snprintf(line, sizeof line, "\n  node %d (%s, %s) and node %d (%s, %s): %zu word(s), the first at 0x%lx",
                      c.u, names[c.u].c_str(), c.u_writes ? "writes" : "reads", c.v, names[c.v].c_str(),
                      c.v_writes ? "writes" : "reads", c.words, (unsigned long) c.first);
        why += line;
    }
    if (clashes.size() > 6) {
        why += "\n  ...";
    }
    return why;
}

bool races_checked() {
    static int on = -1;
    if (on < 0) {
        const char *v = std::getenv("DENDRITE_EMU_RACES");
        on = v == nullptr || std::string(v) != "0";
    }
    return on == 1;
}

}  // namespace demu

/* ------------------------------------------------------------------ the instrumentation's callbacks */

/* Hidden: only the kernels linked into this library call them, and no other library of the process should find a
 * __tsan_init. */
#define DEMU_HOOK extern "C" __attribute__((visibility("hidden")))
static inline void hook(void *p, size_t bytes, int kind) {
    if (demu::checking()) {
        demu::note((uintptr_t) p, bytes, kind);
    }
}
#define DEMU_ACCESS(size)                                                                             \
    DEMU_HOOK void __tsan_read##size(void *p) { hook(p, size, demu::READ); }                          \
    DEMU_HOOK void __tsan_write##size(void *p) { hook(p, size, demu::WRITE); }                        \
    DEMU_HOOK void __tsan_unaligned_read##size(void *p) { hook(p, size, demu::READ); }                \
    DEMU_HOOK void __tsan_unaligned_write##size(void *p) { hook(p, size, demu::WRITE); }
DEMU_ACCESS(1)
DEMU_ACCESS(2)
DEMU_ACCESS(4)
DEMU_ACCESS(8)
DEMU_ACCESS(16)
DEMU_HOOK void __tsan_read_range(void *p, size_t n) { hook(p, n, demu::READ); }
DEMU_HOOK void __tsan_write_range(void *p, size_t n) { hook(p, n, demu::WRITE); }
/* What the instrumented module's constructor asks for; nothing to do. */
DEMU_HOOK void __tsan_init() {}

#define DEMU_EXPORT extern "C" __attribute__((visibility("default")))
/* cublas.cc's notes, and whether to make them (libcublas.so.12 finds these in libcuda.so.1). */
DEMU_EXPORT int dendrite_emu_recording() { return demu::recording != nullptr; }
DEMU_EXPORT void dendrite_emu_note(const void *p, size_t bytes, int kind) { demu::note((uintptr_t) p, bytes, kind); }
