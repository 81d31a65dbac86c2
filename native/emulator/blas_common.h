/*
 * blas_common.h - what the emulated cuBLAS (cublas.cc) and cuBLASLt (cublaslt.cc) share: the driver's checks and race
 * notes they call, TF32 rounding, and the FP32 column sums of a product. One copy of the arithmetic, so that
 * cuBLASLt's algorithm 0 gives the bits of cuBLAS's SGEMM by construction, not by two loops kept alike by hand.
 *
 * Everything here is in an unnamed namespace: each library gets its own copy, none exported (their version scripts
 * export only cublas* and cublasLt* anyway).
 */
#ifndef DENDRITE_EMU_BLAS_COMMON_H
#define DENDRITE_EMU_BLAS_COMMON_H

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "emu.h"

/* The driver's (libcuda.so.1) answers: whether [p, p + bytes) lies inside one device allocation, whether a graph's
 * first launch is being recorded for the race check, and a note of one access while it is; whether a call CUDA
 * refuses during a capture must fail now (breaking the capture). */
extern "C" int dendrite_emu_inside(const void *p, size_t bytes);
extern "C" int dendrite_emu_recording();
extern "C" void dendrite_emu_note(const void *p, size_t bytes, int kind);
extern "C" int dendrite_emu_capture_refuses(const char *what);

namespace {

/* DENDRITE_EMU_TRACE=1: each product described on stderr as it runs. */
inline bool blas_tracing() {
    static const bool tracing = [] {
        const char *v = std::getenv("DENDRITE_EMU_TRACE");
        return v != nullptr && std::strcmp(v, "1") == 0;
    }();
    return tracing;
}

/* TF32: 10 mantissa bits, rounded to nearest with ties away from zero, as the tensor cores take FP32 operands. */
inline float tf32(float x) {
    if (x != x) {
        return x;
    }
    unsigned u;
    std::memcpy(&u, &x, 4);
    u = (u + 0x1000u) & 0xFFFFE000u;
    std::memcpy(&x, &u, 4);
    return x;
}

/* The columns of a rows x cols column-major matrix with leading dimension ld, for the race check (races.cc). */
inline void note_matrix(const float *p, long long rows, long long cols, long long ld, int kind) {
    for (long long j = 0; j < cols && rows > 0; j++) {
        dendrite_emu_note(p + j * ld, (size_t) rows * sizeof(float), kind);
    }
}

/* Elements a column-major rows x cols matrix with leading dimension ld spans. */
inline size_t extent(long long rows, long long cols, long long ld) {
    return rows == 0 || cols == 0 ? 0 : (size_t) ((cols - 1) * ld + rows);
}

/*
 * op(A) (m x k) into ap and op(B) (k x n) into bp, both packed column-major (rounded to TF32 when asked), so that
 * the sums below run down columns; op is 0 (N) or 1 (T) for each.
 */
inline void pack_operands(int ta, int tb, long long m, long long n, long long k, const float *a, long long lda,
                          const float *b, long long ldb, bool tf32_operands, float *ap, float *bp) {
    for (long long p = 0; p < k; p++) {
        for (long long i = 0; i < m; i++) {
            float v = ta == 0 ? a[i + p * lda] : a[p + i * lda];
            ap[i + p * m] = tf32_operands ? tf32(v) : v;
        }
    }
    for (long long j = 0; j < n; j++) {
        for (long long p = 0; p < k; p++) {
            float v = tb == 0 ? b[p + j * ldb] : b[j + p * ldb];
            bp[p + j * k] = tf32_operands ? tf32(v) : v;
        }
    }
}

/* Column j of the packed op(A) op(B), summed over p in [p0, p1) in order, in FP32: col[0, m). */
inline void sum_column(const float *ap, const float *bp, long long m, long long k, long long j, long long p0,
                       long long p1, float *col) {
    std::fill(col, col + m, 0.0f);
    for (long long p = p0; p < p1; p++) {
        float bv = bp[p + j * k];
        const float *ac = ap + p * m;
        for (long long i = 0; i < m; i++) {
            col[i] += ac[i] * bv;
        }
    }
}

/* d[i] = alpha sum[i] + beta c[i] for a column of m; with beta 0, c is not read (NaN there included). c may be d. */
inline void scale_column(float alpha, const float *sum, float beta, const float *c, float *d, long long m) {
    for (long long i = 0; i < m; i++) {
        d[i] = beta == 0.0f ? alpha * sum[i] : alpha * sum[i] + beta * c[i];
    }
}

}  // namespace

#endif
