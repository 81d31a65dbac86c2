/*
 * dialect.h - the one place where OpenCL C, CUDA C++ and plain C differ.
 *
 * Every other header in kernels/common is written against the names defined here, so the same math
 * compiles unchanged as OpenCL C (built at run time by the Java OpenCL backend), as CUDA (the .cu files
 * #include these headers) and as host C99 (handy for checking a formula with a C compiler).
 *
 *   DENDRITE_DEVICE     storage/inlining for helper functions
 *   DENDRITE_GLOBAL     address-space qualifier of a pointer into device global memory
 *   dendrite_u32/_u64   fixed-width unsigned integers
 *   dendrite_mulhi_u32  high 32 bits of a 32x32-bit unsigned product
 *   dendrite_atomic_cas_i32(p, expected, desired)  atomic compare-and-swap on a global int, returns the old value
 *   dendrite_atomic_add_i32(p, v)                 atomic p += v on a global int (integer counts: order-free)
 *   dendrite_<fn>f      single-precision math (exp, log, cospi, ...), mapped to each dialect's float overload;
 *                       dendrite_fmaf is the correctly rounded fused multiply-add
 *
 * What a tiled kernel needs besides (OpenCL C and CUDA only; the host C branch has no work-groups):
 *   DENDRITE_KERNEL     a kernel entry point (extern "C" in CUDA, so the module exports the plain name)
 *   DENDRITE_LOCAL      declares an array in work-group (CUDA: block) shared memory, at kernel scope
 *   DENDRITE_LOCAL_PTR  qualifier of a pointer into that memory (OpenCL's __local; CUDA pointers are generic)
 *   DENDRITE_ALIGN16    16-byte alignment of a local array, so that dendrite_local_load4 may read it
 *   dendrite_barrier()  every work-item of the group waits here; local memory written before it is visible after
 *   dendrite_global_fence()  orders this work-item's global memory accesses before it against those after it
 *   dendrite_barrier_global()  dendrite_barrier() that also orders the group's global memory accesses
 *   dendrite_local_id(d) / dendrite_group_id(d) / dendrite_num_groups(d)   d = 0, 1, 2 (x, y, z)
 *   dendrite_float4 / dendrite_local_load4(p)   four floats read at once from local memory; p 16-byte aligned
 *   DENDRITE_UNROLL     asks for the next loop (with a constant trip count) to be unrolled completely
 *   DENDRITE_NO_UNROLL  asks for the next loop to stay a loop (one copy of a long body)
 */
#ifndef DENDRITE_DIALECT_H
#define DENDRITE_DIALECT_H

#if defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)
/* ------------------------------------------------------------------ OpenCL C */
#define DENDRITE_OPENCL 1
#if defined(__OPENCL_C_VERSION__) && __OPENCL_C_VERSION__ >= 120
/* 'static' on functions is only legal from OpenCL C 1.2; without it an 'inline' function might be left
 * without an external definition by C99 inline rules. */
#define DENDRITE_DEVICE static inline
#else
#define DENDRITE_DEVICE inline
#endif
#define DENDRITE_GLOBAL __global
typedef uint dendrite_u32;
typedef ulong dendrite_u64;
#define dendrite_mulhi_u32(a, b) mul_hi((uint) (a), (uint) (b))
#define dendrite_atomic_cas_i32(p, expected, desired) \
    atomic_cmpxchg((volatile __global int *) (p), (expected), (desired))
#define dendrite_atomic_add_i32(p, v) atomic_add((volatile __global int *) (p), (v))
/* OpenCL's built-ins are overloaded on float; the names below only fix the spelling. */
#define dendrite_expf(x) exp(x)
#define dendrite_expm1f(x) expm1(x)
#define dendrite_logf(x) log(x)
#define dendrite_log1pf(x) log1p(x)
#define dendrite_sqrtf(x) sqrt(x)
#define dendrite_tanhf(x) tanh(x)
#define dendrite_erfcf(x) erfc(x)
#define dendrite_cospif(x) cospi(x)
#define dendrite_sinpif(x) sinpi(x)
#define dendrite_fabsf(x) fabs(x)
#define dendrite_fmaxf(a, b) fmax(a, b)
#define dendrite_fmaf(a, b, c) fma(a, b, c)
#define dendrite_powf(a, b) pow(a, b)
#define dendrite_cosf(x) cos(x)
#define dendrite_floorf(x) floor(x)
#define dendrite_ceilf(x) ceil(x)
#define dendrite_fminf(a, b) fmin(a, b)
#define DENDRITE_KERNEL __kernel
#define DENDRITE_LOCAL __local
#define DENDRITE_LOCAL_PTR __local
#define DENDRITE_ALIGN16 __attribute__((aligned(16)))
#define dendrite_barrier() barrier(CLK_LOCAL_MEM_FENCE)
#define dendrite_global_fence() mem_fence(CLK_GLOBAL_MEM_FENCE)
#define dendrite_barrier_global() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
#define dendrite_local_id(d) ((int) get_local_id(d))
#define dendrite_group_id(d) ((int) get_group_id(d))
#define dendrite_num_groups(d) ((int) get_num_groups(d))
typedef float4 dendrite_float4;
#define dendrite_local_load4(p) (*(const __local float4 *) (p))
#define DENDRITE_UNROLL _Pragma("unroll")
#define DENDRITE_NO_UNROLL _Pragma("unroll 1")

#elif defined(__CUDACC__)
/* ------------------------------------------------------------------ CUDA C++ */
#define DENDRITE_CUDA 1
#define DENDRITE_DEVICE __device__ __forceinline__
#define DENDRITE_GLOBAL
typedef unsigned int dendrite_u32;
typedef unsigned long long dendrite_u64;
#define dendrite_mulhi_u32(a, b) __umulhi((unsigned int) (a), (unsigned int) (b))
#define dendrite_atomic_cas_i32(p, expected, desired) atomicCAS((int *) (p), (expected), (desired))
#define dendrite_atomic_add_i32(p, v) atomicAdd((int *) (p), (v))
#define dendrite_cospif(x) cospif(x)
#define dendrite_sinpif(x) sinpif(x)
#define DENDRITE_KERNEL extern "C" __global__
#define DENDRITE_LOCAL __shared__
#define DENDRITE_LOCAL_PTR
#define DENDRITE_ALIGN16 __align__(16)
#define dendrite_barrier() __syncthreads()
#define dendrite_global_fence() __threadfence()
#define dendrite_barrier_global() __syncthreads()
/* d is a literal 0, 1 or 2 at every use, so these fold to the single register read. */
#define dendrite_local_id(d) ((int) ((d) == 0 ? threadIdx.x : (d) == 1 ? threadIdx.y : threadIdx.z))
#define dendrite_group_id(d) ((int) ((d) == 0 ? blockIdx.x : (d) == 1 ? blockIdx.y : blockIdx.z))
#define dendrite_num_groups(d) ((int) ((d) == 0 ? gridDim.x : (d) == 1 ? gridDim.y : gridDim.z))
typedef float4 dendrite_float4;
#define dendrite_local_load4(p) (*(const float4 *) (p))
#define DENDRITE_UNROLL _Pragma("unroll")
#define DENDRITE_NO_UNROLL _Pragma("unroll 1")

#else
/* ------------------------------------------------------------------ host C99 */
#include <math.h>
#include <stdint.h>
#define DENDRITE_HOST 1
#define DENDRITE_DEVICE static inline
#define DENDRITE_GLOBAL
typedef uint32_t dendrite_u32;
typedef uint64_t dendrite_u64;
#define dendrite_mulhi_u32(a, b) ((dendrite_u32) (((dendrite_u64) (a) * (dendrite_u64) (b)) >> 32))
/* Host C runs one thread here: a plain compare-and-swap has the same result. */
static inline int dendrite_atomic_cas_i32(int *p, int expected, int desired) {
    int old = *p;
    if (old == expected) {
        *p = desired;
    }
    return old;
}
#define dendrite_atomic_add_i32(p, v) ((void) (*(p) += (v)))
#define dendrite_cospif(x) ((float) cos(3.14159265358979323846 * (double) (x))) /* C99 has no cospi */
#define dendrite_sinpif(x) ((float) sin(3.14159265358979323846 * (double) (x)))
#endif

#ifndef DENDRITE_OPENCL
/* CUDA's device math library and host C99 both spell the float functions C99's way (expf, fmaf, ...). */
#define dendrite_expf(x) expf(x)
#define dendrite_expm1f(x) expm1f(x)
#define dendrite_logf(x) logf(x)
#define dendrite_log1pf(x) log1pf(x)
#define dendrite_sqrtf(x) sqrtf(x)
#define dendrite_tanhf(x) tanhf(x)
#define dendrite_erfcf(x) erfcf(x)
#define dendrite_fabsf(x) fabsf(x)
#define dendrite_fmaxf(a, b) fmaxf(a, b)
#define dendrite_fmaf(a, b, c) fmaf(a, b, c)
#define dendrite_powf(a, b) powf(a, b)
#define dendrite_cosf(x) cosf(x)
#define dendrite_floorf(x) floorf(x)
#define dendrite_ceilf(x) ceilf(x)
#define dendrite_fminf(a, b) fminf(a, b)
#endif

#endif /* DENDRITE_DIALECT_H */
