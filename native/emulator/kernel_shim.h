/*
 * kernel_shim.h - CUDA C++'s device names for g++, so that kernels/cuda/*.cu compile unchanged into host code
 * (build.sh passes it with -include ahead of every source).
 *
 * A thread's threadIdx, blockIdx, blockDim and gridDim are the scheduler's (scheduler.cc) for the fiber now
 * running. __syncthreads, __syncwarp and the shuffles are points where a fiber yields until every live thread
 * of its block (warp) has come there. __shared__ becomes static: the blocks of a launch run one after another,
 * so one copy per variable is the block's shared memory. Atomics and fences need nothing more, for the same
 * reason. The inline PTX of kernels/cuda (griddepcontrol) is guarded by __CUDA_ARCH__, which stays undefined.
 * A shuffle must read a lane that is still running, as CUDA's full-mask shuffles require.
 */
#ifndef DENDRITE_EMU_KERNEL_SHIM_H
#define DENDRITE_EMU_KERNEL_SHIM_H

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <math.h>

#include "emu.h"

namespace demu {
struct ThreadView {
    Dim3 thread, block, block_dim, grid_dim;
    int linear; /* thread index in the block, x fastest */
    /* How many __syncthreads and __syncwarp this thread has passed in its block: two threads' accesses are ordered
     * when they are apart by a barrier (races.cc). */
    unsigned barriers, warp_syncs;
};
extern thread_local ThreadView *current;
void syncthreads();
void syncwarp();
/* Writes this lane's 8 bytes, waits for the warp, returns lane src's; a src that is not a live lane fails the launch. */
uint64_t exchange(uint64_t mine, int src_lane);
void *dynamic_shared();

/* v from lane src of this thread's warp: the three shuffles below. */
template <class T>
inline T from_lane(T v, int src) {
    static_assert(sizeof(T) <= 8, "a shuffle moves at most 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    uint64_t got = exchange(bits, src);
    T r;
    std::memcpy(&r, &got, sizeof(T));
    return r;
}

template <class T>
inline T shfl_xor(T v, int mask) { return from_lane(v, ((current->linear & 31) ^ mask) & 31); }

template <class T>
inline T shfl_down(T v, unsigned int delta) {
    int lane = current->linear & 31;
    int src = lane + (int) delta;
    return from_lane(v, src < 32 ? src : lane); /* past the warp: the lane keeps its own, as CUDA's does */
}

template <class T>
inline T shfl(T v, int src_lane) { return from_lane(v, src_lane & 31); }
}  // namespace demu

#define __CUDACC__ 1
#define __global__
#define __device__
#define __host__
/* static: internal linkage, so that the __shared__ statics inside device functions are not in COMDAT groups and
 * can all go into the one section below. */
#define __forceinline__ static inline
#define __noinline__
#define __restrict__ __restrict
#ifdef DEMU_LIST_BOUNDS
/* build.sh's preprocessing pass reads each kernel's bound from this marker (emu.h: Kernel::max_threads). */
#define __launch_bounds__(...) DEMU_LAUNCH_BOUNDS(__VA_ARGS__)
#else
#define __launch_bounds__(...)
#endif
#define __align__(n) __attribute__((aligned(n)))
/* Every __shared__ variable sits in the section demu_shared, which the scheduler fills with 0x7F bytes before each
 * block, as a GPU gives a block shared memory it has not written: a kernel that reads it first sees 3.4e38. */
#define __shared__ static __attribute__((section("demu_shared"), aligned(16)))

#define threadIdx (demu::current->thread)
#define blockIdx (demu::current->block)
#define blockDim (demu::current->block_dim)
#define gridDim (demu::current->grid_dim)
#define warpSize 32

#define __syncthreads() demu::syncthreads()
#define __syncwarp(...) demu::syncwarp()
#define __threadfence() ((void) 0)
#define __threadfence_block() ((void) 0)
#define __shfl_xor_sync(mask, v, lane_mask) demu::shfl_xor((v), (lane_mask))
#define __shfl_down_sync(mask, v, delta) demu::shfl_down((v), (delta))
#define __shfl_sync(mask, v, lane) demu::shfl((v), (lane))

struct float2 {
    float x, y;
};
struct __attribute__((aligned(16))) float4 {
    float x, y, z, w;
};
struct int2 {
    int x, y;
};
struct __attribute__((aligned(16))) int4 {
    int x, y, z, w;
};
struct __attribute__((aligned(16))) uint4 {
    unsigned int x, y, z, w;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }

template <class T>
inline T __ldg(const T *p) { return *p; }
template <class T>
inline T __ldcg(const T *p) { return *p; }
template <class T>
inline T __ldca(const T *p) { return *p; }
template <class T>
inline void __stcg(T *p, T v) { *p = v; }

/* One thread runs at a time, so a read-modify-write is atomic as written. Not instrumented (races.cc): each notes
 * itself as an atomic access, which does not race with another atomic. */
#define DEMU_ATOMIC template <class T> __attribute__((no_sanitize("thread"))) inline T
DEMU_ATOMIC atomicAdd(T *p, T v) {
    demu::atomic_access(p, sizeof(T));
    T old = *p;
    *p = old + v;
    return old;
}
DEMU_ATOMIC atomicCAS(T *p, T expected, T desired) {
    demu::atomic_access(p, sizeof(T));
    T old = *p;
    if (old == expected) {
        *p = desired;
    }
    return old;
}
DEMU_ATOMIC atomicExch(T *p, T v) {
    demu::atomic_access(p, sizeof(T));
    T old = *p;
    *p = v;
    return old;
}
DEMU_ATOMIC atomicMax(T *p, T v) {
    demu::atomic_access(p, sizeof(T));
    T old = *p;
    *p = old > v ? old : v;
    return old;
}
DEMU_ATOMIC atomicMin(T *p, T v) {
    demu::atomic_access(p, sizeof(T));
    T old = *p;
    *p = old < v ? old : v;
    return old;
}
#undef DEMU_ATOMIC

inline unsigned int __float_as_uint(float f) {
    unsigned int u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float __uint_as_float(unsigned int u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline int __float_as_int(float f) {
    int i;
    std::memcpy(&i, &f, 4);
    return i;
}
inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, 4);
    return f;
}
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int) (((unsigned long long) a * b) >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long) (((unsigned __int128) a * b) >> 64);
}
/* build.sh compiles with -ffp-contract=off, so these are the single roundings CUDA's _rn intrinsics name. */
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float saturatef(float x) { return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
/* CUDA's cospif/sinpif are exact at the integers and half-integers, as the float64 product below is. */
inline float cospif(float x) { return (float) cos(3.14159265358979323846 * (double) x); }
inline float sinpif(float x) { return (float) sin(3.14159265358979323846 * (double) x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned int) x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
using std::isnan;
using std::isinf;
using std::isfinite;

#endif
