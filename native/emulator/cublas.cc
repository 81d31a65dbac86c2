/*
 * cublas.cc - the cuBLAS (libcublas.so.12, the version node JCublas2 asks for) that the emulated driver runs:
 * the few calls the CUDA backend makes, as plain loops on the host, put on the handle's stream through the
 * driver (dendrite_emu_enqueue), so that a captured graph records them as nodes and replays them.
 *
 * Checked as cuBLAS checks them: sizes and leading dimensions (CUBLAS_STATUS_INVALID_VALUE), types the backend
 * never asks for (CUBLAS_STATUS_NOT_SUPPORTED); beyond cuBLAS, every matrix must lie inside one device
 * allocation, so that a wrong leading dimension or slice offset fails here instead of reading a neighbour.
 *
 * The arithmetic: FP32 products with FP32 sums over k in order; in TF32 mode (CUBLAS_TF32_TENSOR_OP_MATH, or
 * CUBLAS_COMPUTE_32F_FAST_TF32) the operands are first rounded to TF32 (10 mantissa bits, to nearest, ties away),
 * so a test's tolerance for TF32 meets an error of TF32's size.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "blas_common.h"
#include "emu.h"

#define API extern "C" __attribute__((visibility("default")))

enum : int {
    OK = 0,
    NOT_INITIALIZED = 1,
    INVALID_VALUE = 7,
    EXECUTION_FAILED = 13,
    NOT_SUPPORTED = 15,
};
enum : int { OP_N = 0, OP_T = 1, OP_C = 2 };
constexpr int MATH_TF32 = 3;
constexpr int R_32F = 0;
constexpr int COMPUTE_32F = 68, COMPUTE_32F_PEDANTIC = 69, COMPUTE_32F_FAST_TF32 = 77;

namespace {

struct Handle {
    void *stream = nullptr;
    int math_mode = 0;
    int pointer_mode = 0; /* 0: alpha and beta on the host */
    void *workspace = nullptr;
    size_t workspace_bytes = 0;
};

struct Gemm {
    int ta, tb, m, n, k;
    float alpha, beta;
    const float *alpha_ptr, *beta_ptr; /* device pointer mode: read when the product runs */
    const float *a, *b;
    float *c;
    long long lda, ldb, ldc, stride_a, stride_b, stride_c;
    int batches;
    bool tf32;
    void *workspace; /* the handle's when the call was made: the real library may write to it */
    size_t workspace_bytes;
};

/* What a product reads and writes, column by column, while a graph's first launch is recorded. */
void note_gemm(const struct Gemm &g) {
    long long a_rows = g.ta == OP_N ? g.m : g.k, a_cols = g.ta == OP_N ? g.k : g.m;
    long long b_rows = g.tb == OP_N ? g.k : g.n, b_cols = g.tb == OP_N ? g.n : g.k;
    for (int i = 0; i < g.batches; i++) {
        note_matrix(g.a + i * g.stride_a, a_rows, a_cols, g.lda, demu::READ);
        note_matrix(g.b + i * g.stride_b, b_rows, b_cols, g.ldb, demu::READ);
        note_matrix(g.c + i * g.stride_c, g.m, g.n, g.ldc, demu::WRITE);
    }
    dendrite_emu_note(g.alpha_ptr, g.alpha_ptr != nullptr ? sizeof(float) : 0, demu::READ);
    dendrite_emu_note(g.beta_ptr, g.beta_ptr != nullptr ? sizeof(float) : 0, demu::READ);
    /* The workspace as its first word only: enough for two calls on one workspace to clash (no kernel of ours
     * touches a workspace), where all 32 MiB would cost every product half a million notes. */
    dendrite_emu_note(g.workspace, g.workspace_bytes > 0 ? sizeof(float) : 0, demu::WRITE);
}

void run_gemm(void *data) {
    const Gemm &g = *(const Gemm *) data;
    if (blas_tracing()) {
        std::fprintf(stderr, "dendrite emulator: cuBLAS gemm transa=%d transb=%d m=%d n=%d k=%d A=%p lda=%lld B=%p "
                     "ldb=%lld C=%p ldc=%lld batches=%d strides %lld %lld %lld tf32=%d\n", g.ta, g.tb, g.m, g.n, g.k,
                     (const void *) g.a, g.lda, (const void *) g.b, g.ldb, (void *) g.c, g.ldc, g.batches, g.stride_a,
                     g.stride_b, g.stride_c, (int) g.tf32);
    }
    if (dendrite_emu_recording()) {
        note_gemm(g);
    }
    float alpha = g.alpha_ptr != nullptr ? *g.alpha_ptr : g.alpha;
    float beta = g.beta_ptr != nullptr ? *g.beta_ptr : g.beta;
    std::vector<float> ap((size_t) g.m * g.k), bp((size_t) g.k * g.n), col(g.m);
    for (int batch = 0; batch < g.batches; batch++) {
        const float *a = g.a + batch * g.stride_a;
        const float *b = g.b + batch * g.stride_b;
        float *c = g.c + batch * g.stride_c;
        pack_operands(g.ta, g.tb, g.m, g.n, g.k, a, g.lda, b, g.ldb, g.tf32, ap.data(), bp.data());
        for (int j = 0; j < g.n; j++) {
            sum_column(ap.data(), bp.data(), g.m, g.k, j, 0, g.k, col.data());
            scale_column(alpha, col.data(), beta, c + j * g.ldc, c + j * g.ldc, g.m);
        }
    }
}

void release(void *data) { delete (Gemm *) data; }

bool inside(const char *what, const void *p, size_t elements, const Gemm &g) {
    if (elements == 0 || dendrite_emu_inside(p, elements * sizeof(float))) {
        return true;
    }
    std::fprintf(stderr, "dendrite emulator: cuBLAS gemm (transa=%d transb=%d m=%d n=%d k=%d lda=%lld ldb=%lld "
                 "ldc=%lld, batch %d): %s %p + %zu floats is not inside one allocation\n", g.ta, g.tb, g.m, g.n, g.k,
                 g.lda, g.ldb, g.ldc, g.batches, what, p, elements);
    return false;
}

int gemm(Handle *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *a, long long lda,
         long long sa, const float *b, long long ldb, long long sb, const float *beta, float *c, long long ldc,
         long long sc, int batches, bool tf32_operands) {
    if (h == nullptr) {
        return NOT_INITIALIZED;
    }
    if ((ta != OP_N && ta != OP_T) || (tb != OP_N && tb != OP_T) || m < 0 || n < 0 || k < 0 || batches < 0) {
        return INVALID_VALUE;
    }
    long long a_rows = ta == OP_N ? m : k, a_cols = ta == OP_N ? k : m;
    long long b_rows = tb == OP_N ? k : n, b_cols = tb == OP_N ? n : k;
    if (lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) || ldc < (m > 1 ? m : 1)) {
        std::fprintf(stderr, "dendrite emulator: cuBLAS gemm m=%d n=%d k=%d with lda=%lld ldb=%lld ldc=%lld "
                     "(CUBLAS_STATUS_INVALID_VALUE)\n", m, n, k, lda, ldb, ldc);
        return INVALID_VALUE;
    }
    if (m == 0 || n == 0 || batches == 0) {
        return OK;
    }
    /* Host pointer mode reads alpha and beta on the host at the call: a device address there is a bug the device
     * would crash on (and the other way round). */
    if ((h->pointer_mode == 0) == (dendrite_emu_inside(alpha, 4) || dendrite_emu_inside(beta, 4))) {
        std::fprintf(stderr, "dendrite emulator: cuBLAS gemm's alpha/beta %s device memory in %s pointer mode\n",
                     h->pointer_mode == 0 ? "in" : "not in", h->pointer_mode == 0 ? "host" : "device");
        return INVALID_VALUE;
    }
    Gemm *g = new Gemm{ta, tb, m, n, k, 0.0f, 0.0f, nullptr, nullptr, a, b, c, lda, ldb, ldc, sa, sb, sc, batches,
                       tf32_operands, h->workspace, h->workspace_bytes};
    if (h->pointer_mode == 0) {
        g->alpha = *alpha;
        g->beta = *beta;
    } else {
        g->alpha_ptr = alpha;
        g->beta_ptr = beta;
    }
    for (int i = 0; i < batches; i++) {
        if ((k > 0 && (!inside("A", a + i * sa, extent(a_rows, a_cols, lda), *g)
                       || !inside("B", b + i * sb, extent(b_rows, b_cols, ldb), *g)))
            || !inside("C", c + i * sc, extent(m, n, ldc), *g)) {
            delete g;
            return INVALID_VALUE;
        }
    }
    /* cuBLAS's result is undefined when C overlaps an operand or another batch's C; this loop would hide it (it
     * copies the operands first), so it is refused. Spans are compared, a conservative test for strided layouts. */
    const char *overlap = nullptr;
    for (int i = 0; i < batches && overlap == nullptr; i++) {
        const float *c0 = c + i * sc, *c1 = c0 + extent(m, n, ldc);
        const float *a0 = a + i * sa, *a1 = a0 + (k > 0 ? extent(a_rows, a_cols, lda) : 0);
        const float *b0 = b + i * sb, *b1 = b0 + (k > 0 ? extent(b_rows, b_cols, ldb) : 0);
        if (c0 < a1 && a0 < c1) {
            overlap = "A";
        } else if (c0 < b1 && b0 < c1) {
            overlap = "B";
        } else if (i + 1 < batches && c + (i + 1) * sc < c1 && c0 < c + (i + 1) * sc + extent(m, n, ldc)) {
            overlap = "the next batch's C";
        }
    }
    if (overlap != nullptr) {
        std::fprintf(stderr, "dendrite emulator: cuBLAS gemm m=%d n=%d k=%d: C overlaps %s (undefined in cuBLAS)\n", m, n,
                     k, overlap);
        delete g;
        return INVALID_VALUE;
    }
    return dendrite_emu_enqueue(h->stream, run_gemm, g, release) == 0 ? OK : EXECUTION_FAILED;
}

struct Scal {
    int n;
    float alpha;
    float *x;
    int inc;
};

void run_scal(void *data) {
    const Scal &s = *(const Scal *) data;
    if (dendrite_emu_recording()) {
        for (int i = 0; i < s.n; i++) {
            dendrite_emu_note(s.x + (size_t) i * s.inc, sizeof(float), demu::WRITE);
        }
    }
    for (int i = 0; i < s.n; i++) {
        s.x[(size_t) i * s.inc] *= s.alpha;
    }
}

void release_scal(void *data) { delete (Scal *) data; }

}  // namespace

API int cublasCreate_v2(Handle **h) {
    *h = new Handle();
    return OK;
}

API int cublasDestroy_v2(Handle *h) {
    delete h;
    return OK;
}

API int cublasSetStream_v2(Handle *h, void *stream) {
    h->stream = stream;
    return OK;
}

API int cublasSetWorkspace_v2(Handle *h, void *workspace, size_t bytes) {
    h->workspace = workspace;
    h->workspace_bytes = bytes;
    return OK;
}

API int cublasSetMathMode(Handle *h, int mode) {
    h->math_mode = mode;
    return OK;
}

API int cublasGetMathMode(Handle *h, int *mode) {
    *mode = h->math_mode;
    return OK;
}

API int cublasGetPointerMode_v2(Handle *h, int *mode) {
    *mode = h->pointer_mode;
    return OK;
}

API int cublasSetPointerMode_v2(Handle *h, int mode) {
    h->pointer_mode = mode;
    return OK;
}

API int cublasGetVersion_v2(Handle *, int *v) {
    *v = 130000; /* reported as 13.0.0, the CUDA 13 that the forwarding library reaches on the device */
    return OK;
}

API int cublasGetProperty(int type, int *v) {
    *v = type == 0 ? 13 : 0;
    return OK;
}

API int cublasSgemm_v2(Handle *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *a, int lda,
                       const float *b, int ldb, const float *beta, float *c, int ldc) {
    return gemm(h, ta, tb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1,
                h != nullptr && (h->math_mode & 0xF) == MATH_TF32);
}

API int cublasSgemmStridedBatched(Handle *h, int ta, int tb, int m, int n, int k, const float *alpha,
                                  const float *a, int lda, long long sa, const float *b, int ldb, long long sb,
                                  const float *beta, float *c, int ldc, long long sc, int batches) {
    return gemm(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batches,
                h != nullptr && (h->math_mode & 0xF) == MATH_TF32);
}

static int compute_is_tf32(Handle *h, int a_type, int b_type, int c_type, int compute, bool *tf32_operands) {
    if (a_type != R_32F || b_type != R_32F || c_type != R_32F) {
        return NOT_SUPPORTED;
    }
    if (compute == COMPUTE_32F_FAST_TF32) {
        *tf32_operands = true;
    } else if (compute == COMPUTE_32F) {
        *tf32_operands = h != nullptr && (h->math_mode & 0xF) == MATH_TF32;
    } else if (compute == COMPUTE_32F_PEDANTIC) {
        *tf32_operands = false;
    } else {
        return NOT_SUPPORTED;
    }
    return OK;
}

API int cublasGemmEx(Handle *h, int ta, int tb, int m, int n, int k, const void *alpha, const void *a, int a_type,
                     int lda, const void *b, int b_type, int ldb, const void *beta, void *c, int c_type, int ldc,
                     int compute, int) {
    bool t = false;
    int r = compute_is_tf32(h, a_type, b_type, c_type, compute, &t);
    if (r != OK) {
        return r;
    }
    return gemm(h, ta, tb, m, n, k, (const float *) alpha, (const float *) a, lda, 0, (const float *) b, ldb, 0,
                (const float *) beta, (float *) c, ldc, 0, 1, t);
}

API int cublasGemmStridedBatchedEx(Handle *h, int ta, int tb, int m, int n, int k, const void *alpha,
                                   const void *a, int a_type, int lda, long long sa, const void *b, int b_type,
                                   int ldb, long long sb, const void *beta, void *c, int c_type, int ldc,
                                   long long sc, int batches, int compute, int) {
    bool t = false;
    int r = compute_is_tf32(h, a_type, b_type, c_type, compute, &t);
    if (r != OK) {
        return r;
    }
    return gemm(h, ta, tb, m, n, k, (const float *) alpha, (const float *) a, lda, sa, (const float *) b, ldb, sb,
                (const float *) beta, (float *) c, ldc, sc, batches, t);
}

API int cublasSscal_v2(Handle *h, int n, const float *alpha, float *x, int inc) {
    if (h == nullptr) {
        return NOT_INITIALIZED;
    }
    if (n <= 0 || inc <= 0) {
        return OK; /* cuBLAS returns at once for these */
    }
    if (!dendrite_emu_inside(x, ((size_t) (n - 1) * inc + 1) * sizeof(float))) {
        std::fprintf(stderr, "dendrite emulator: cublasSscal of %d floats at %p is not inside one allocation\n", n,
                     (void *) x);
        return INVALID_VALUE;
    }
    Scal *s = new Scal{n, *alpha, x, inc};
    return dendrite_emu_enqueue(h->stream, run_scal, s, release_scal) == 0 ? OK : EXECUTION_FAILED;
}
