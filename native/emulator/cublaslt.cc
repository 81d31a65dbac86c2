/*
 * cublaslt.cc - the cuBLASLt (libcublasLt.so.13) that the emulated driver runs: the plain FP32 product of
 * native/launch/cublaslt_api.h (descriptors, layouts, a preference, the heuristic and cublasLtMatmul), as loops on
 * the host put on the call's stream through the driver (dendrite_emu_enqueue), so that a captured graph records a
 * product as a node and replays it, as cublas.cc's products.
 *
 * The heuristic offers three algorithms that round differently, as a GPU's cuBLASLt offers kernels that do (split-K
 * and not), so that a test cannot take cuBLASLt's bits for cuBLAS's: 0 sums over k in order, exactly cublas.cc's
 * SGEMM (blas_common.h's loops); 1 sums each half of k on its own and adds the two; 2 does what 1 does through a
 * workspace of 2 m n floats, so that the workspace's size, its bounds and its races are checked.
 *
 * Checked as cuBLASLt checks them, and beyond (as cublas.cc does): every matrix, and the workspace, must lie inside
 * one device allocation; D may not overlap A or B, nor C unless it is C; alpha and beta must be host memory (the
 * only pointer mode here); an algorithm must be one the heuristic handed out.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../launch/cublaslt_api.h"
#include "blas_common.h"
#include "emu.h"

#define API extern "C" __attribute__((visibility("default")))

namespace {

/* Each object's first word: an object passed as another kind (all are void * in the API) or after its destroy fails
 * with CUBLAS_STATUS_INVALID_VALUE instead of being read as something it is not. */
enum Kind : uint32_t {
    HANDLE = 0x4C744841u, /* "AHtL" */
    DESC = 0x4C744445u,
    LAYOUT = 0x4C74414Cu,
    PREF = 0x4C745250u,
    DEAD = 0xDEADDEADu,
};

struct Handle {
    uint32_t kind = HANDLE;
};

struct Desc {
    uint32_t kind = DESC;
    bool tf32 = false;
    int32_t ta = DENDRITE_LT_OP_N, tb = DENDRITE_LT_OP_N;
    uint32_t epilogue = DENDRITE_LT_EPILOGUE_DEFAULT;
    const float *bias = nullptr; /* CUBLASLT_MATMUL_DESC_BIAS_POINTER, a device address */
};

/* The epilogues emulated: the plain product, and relu, a bias or both after it. */
bool emulated_epilogue(uint32_t e) {
    return e == DENDRITE_LT_EPILOGUE_DEFAULT || e == DENDRITE_LT_EPILOGUE_RELU || e == DENDRITE_LT_EPILOGUE_BIAS
           || e == DENDRITE_LT_EPILOGUE_RELU_BIAS;
}

bool has_bias(uint32_t e) {
    return e == DENDRITE_LT_EPILOGUE_BIAS || e == DENDRITE_LT_EPILOGUE_RELU_BIAS;
}

struct Layout {
    uint32_t kind = LAYOUT;
    uint64_t rows = 0, cols = 0;
    int64_t ld = 0;
};

struct Pref {
    uint32_t kind = PREF;
    uint64_t max_workspace = 0;
    /* The alignment in bytes A, B, C and D are promised to have; cuBLASLt's default is 256. */
    uint32_t alignment[4] = {256, 256, 256, 256};
};

template <class T> T *as(DendriteLtHandle p, uint32_t kind) {
    return p != nullptr && ((T *) p)->kind == kind ? (T *) p : nullptr;
}

/* Destroys an object of the kind given; null is a no-op, as in cuBLASLt, and another kind (or one already destroyed,
 * whose kind is DEAD) is INVALID_VALUE. */
template <class T> int destroy_object(DendriteLtHandle p, uint32_t kind) {
    T *o = as<T>(p, kind);
    if (o == nullptr) {
        return p == nullptr ? DENDRITE_LT_SUCCESS : DENDRITE_LT_INVALID_VALUE;
    }
    o->kind = DEAD;
    delete o;
    return DENDRITE_LT_SUCCESS;
}

/* algo.data[1] of every algorithm the heuristic hands out ("DendrLt" and a version), so that matmul knows its own. */
constexpr uint64_t ALGO_MAGIC = 0x44656E64724C7401ull;
constexpr int ALGO_COUNT = 3;

/*
 * The heuristic fails (CUBLAS_STATUS_INTERNAL_ERROR) for every product whose k is this prime, which no network uses:
 * how the tests check that a refusal costs the backend only cuBLASLt's candidates for that shape, as a real library
 * may refuse a shape it has no kernel for.
 */
constexpr long long REFUSED_K = 7919;

/* Whether `algo` is one the heuristic handed out: its id, the magic word, the rest zero. */
bool offered(const DendriteLtAlgo *algo) {
    bool ours = algo->data[0] < ALGO_COUNT && algo->data[1] == ALGO_MAGIC;
    for (int i = 2; i < 8; i++) {
        ours = ours && algo->data[i] == 0;
    }
    return ours;
}

/* The product one call describes, checked against its layouts: op(A) is m x k, op(B) k x n, C and D m x n. */
struct Shape {
    long long m, n, k;
};

int shape_of(const Desc *d, const Layout *a, const Layout *b, const Layout *c, const Layout *dl, Shape *s) {
    long long a_rows = (long long) a->rows, a_cols = (long long) a->cols;
    long long b_rows = (long long) b->rows, b_cols = (long long) b->cols;
    s->m = d->ta == DENDRITE_LT_OP_N ? a_rows : a_cols;
    s->k = d->ta == DENDRITE_LT_OP_N ? a_cols : a_rows;
    s->n = d->tb == DENDRITE_LT_OP_N ? b_cols : b_rows;
    long long bk = d->tb == DENDRITE_LT_OP_N ? b_rows : b_cols;
    if (bk != s->k || (long long) c->rows != s->m || (long long) c->cols != s->n || (long long) dl->rows != s->m
        || (long long) dl->cols != s->n) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt transa=%d transb=%d A %llux%llu B %llux%llu C %llux%llu "
                     "D %llux%llu do not make one product (CUBLAS_STATUS_INVALID_VALUE)\n", d->ta, d->tb,
                     (unsigned long long) a->rows, (unsigned long long) a->cols, (unsigned long long) b->rows,
                     (unsigned long long) b->cols, (unsigned long long) c->rows, (unsigned long long) c->cols,
                     (unsigned long long) dl->rows, (unsigned long long) dl->cols);
        return DENDRITE_LT_INVALID_VALUE;
    }
    return DENDRITE_LT_SUCCESS;
}

/*
 * The alignment in bytes algorithm `algo` needs of every matrix: algorithm 1 stands for the kernels that load four
 * floats at once, which a GPU runs only on 16-byte aligned operands. The heuristic offers it only where the
 * preference promises that much, and matmul refuses it on a pointer with less, so that a caller who plans with the
 * default (256) and then passes a slice starting on an odd float fails here as it would on the device.
 */
unsigned alignment_needed(int algo) {
    return algo == 1 ? 16u : 4u;
}

/* The workspace algorithm `algo` needs: algorithm 2 keeps both halves' partial products, m n floats each. */
size_t workspace_needed(int algo, const Shape &s) {
    return algo == 2 ? (size_t) s.m * (size_t) s.n * sizeof(float) * 2 : 0;
}

struct Matmul {
    int algo;
    int ta, tb;
    long long m, n, k;
    float alpha, beta;
    const float *a, *b, *c;
    float *d;
    long long lda, ldb, ldc, ldd;
    bool tf32;
    float *workspace; /* algorithm 2's, else null */
    uint32_t epilogue;
    const float *bias; /* m floats where the epilogue adds a bias, else null */
};

/*
 * The epilogue on column j of D, after alpha and beta: the bias (one value per row of D), then relu. Which relu
 * cuBLASLt's kernels compute on a NaN is not documented. Algorithms 0 and 1 keep NaN, as the backend's own relu does;
 * algorithm 2 turns it into 0, as fmaxf(v, 0) would, so that the backend's check (CudaGemmOps.keepsNan), which
 * leaves such an algorithm out, is exercised: a library whose kernels differ from one another in this.
 */
void apply_epilogue(const Matmul &g, float *d) {
    bool relu = g.epilogue == DENDRITE_LT_EPILOGUE_RELU || g.epilogue == DENDRITE_LT_EPILOGUE_RELU_BIAS;
    for (long long i = 0; i < g.m; i++) {
        float v = g.bias != nullptr ? d[i] + g.bias[i] : d[i];
        bool zero = g.algo == 2 ? !(v > 0.0f) : v < 0.0f;
        d[i] = relu && zero ? 0.0f : v;
    }
}

/* What a product reads and writes, column by column, while a graph's first launch is recorded. */
void note_matmul(const Matmul &g) {
    long long a_rows = g.ta == DENDRITE_LT_OP_N ? g.m : g.k, a_cols = g.ta == DENDRITE_LT_OP_N ? g.k : g.m;
    long long b_rows = g.tb == DENDRITE_LT_OP_N ? g.k : g.n, b_cols = g.tb == DENDRITE_LT_OP_N ? g.n : g.k;
    note_matrix(g.a, a_rows, a_cols, g.lda, demu::READ);
    note_matrix(g.b, b_rows, b_cols, g.ldb, demu::READ);
    if (g.beta != 0.0f) {
        note_matrix(g.c, g.m, g.n, g.ldc, demu::READ);
    }
    note_matrix(g.d, g.m, g.n, g.ldd, demu::WRITE);
    if (g.bias != nullptr) {
        dendrite_emu_note(g.bias, (size_t) g.m * sizeof(float), demu::READ);
    }
    /* The workspace as its first word only, as cublas.cc notes the handle's: enough for two products on one
     * workspace to clash, without a note for every word of it. */
    dendrite_emu_note(g.workspace, g.workspace != nullptr ? sizeof(float) : 0, demu::WRITE);
}

void run_matmul(void *data) {
    const Matmul &g = *(const Matmul *) data;
    if (blas_tracing()) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul algo=%d transa=%d transb=%d m=%lld n=%lld k=%lld "
                     "A=%p lda=%lld B=%p ldb=%lld C=%p ldc=%lld D=%p ldd=%lld workspace=%p tf32=%d\n", g.algo, g.ta,
                     g.tb, g.m, g.n, g.k, (const void *) g.a, g.lda, (const void *) g.b, g.ldb, (const void *) g.c,
                     g.ldc, (void *) g.d, g.ldd, (void *) g.workspace, (int) g.tf32);
    }
    if (dendrite_emu_recording()) {
        note_matmul(g);
    }
    std::vector<float> ap((size_t) (g.m * g.k)), bp((size_t) (g.k * g.n)), col(g.m), upper(g.m);
    pack_operands(g.ta, g.tb, g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, g.tf32, ap.data(), bp.data());
    long long half = g.k / 2;
    for (long long j = 0; j < g.n; j++) {
        const float *c = g.c + j * g.ldc;
        float *d = g.d + j * g.ldd;
        if (g.algo == 0) {
            sum_column(ap.data(), bp.data(), g.m, g.k, j, 0, g.k, col.data());
        } else {
            /* Split-K: the halves summed apart, as two blocks would, then added (into the workspace for algo 2). */
            float *lower_sum = g.algo == 2 ? g.workspace + j * g.m : col.data();
            float *upper_sum = g.algo == 2 ? g.workspace + (g.n + j) * g.m : upper.data();
            sum_column(ap.data(), bp.data(), g.m, g.k, j, 0, half, lower_sum);
            sum_column(ap.data(), bp.data(), g.m, g.k, j, half, g.k, upper_sum);
            if (g.algo == 2) {
                continue; /* folded below, once every column's partial sums are in the workspace */
            }
            for (long long i = 0; i < g.m; i++) {
                col[i] = lower_sum[i] + upper_sum[i];
            }
        }
        scale_column(g.alpha, col.data(), g.beta, c, d, g.m);
        apply_epilogue(g, d);
    }
    if (g.algo == 2) {
        for (long long j = 0; j < g.n; j++) {
            const float *lower_sum = g.workspace + j * g.m, *upper_sum = g.workspace + (g.n + j) * g.m;
            for (long long i = 0; i < g.m; i++) {
                col[i] = lower_sum[i] + upper_sum[i];
            }
            scale_column(g.alpha, col.data(), g.beta, g.c + j * g.ldc, g.d + j * g.ldd, g.m);
            apply_epilogue(g, g.d + j * g.ldd);
        }
    }
}

void release(void *data) { delete (Matmul *) data; }

bool inside(const char *what, const void *p, size_t bytes, const Matmul &g) {
    if (bytes == 0 || dendrite_emu_inside(p, bytes)) {
        return true;
    }
    std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul (algo %d, transa=%d transb=%d m=%lld n=%lld k=%lld "
                 "lda=%lld ldb=%lld ldc=%lld ldd=%lld): %s %p + %zu bytes is not inside one allocation\n", g.algo,
                 g.ta, g.tb, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.ldd, what, p, bytes);
    return false;
}

bool overlap(const void *p, size_t p_bytes, const void *q, size_t q_bytes) {
    const char *p0 = (const char *) p, *q0 = (const char *) q;
    return p_bytes > 0 && q_bytes > 0 && p0 < q0 + q_bytes && q0 < p0 + p_bytes;
}

}  // namespace

/* The same calls as cublaslt_api.h's types, which the backend calls through (and blas_abi.cu checks against the real
 * cublasLt.h). */
API int cublasLtCreate(DendriteLtHandle *handle);
API int cublasLtDestroy(DendriteLtHandle handle);
API int cublasLtMatmulDescCreate(DendriteLtHandle *desc, int compute, int scale);
API int cublasLtMatmulDescDestroy(DendriteLtHandle desc);
API int cublasLtMatmulDescSetAttribute(DendriteLtHandle desc, int attribute, const void *buf, size_t bytes);
API int cublasLtMatrixLayoutCreate(DendriteLtHandle *layout, int type, uint64_t rows, uint64_t cols, int64_t ld);
API int cublasLtMatrixLayoutDestroy(DendriteLtHandle layout);
API int cublasLtMatmulPreferenceCreate(DendriteLtHandle *pref);
API int cublasLtMatmulPreferenceDestroy(DendriteLtHandle pref);
API int cublasLtMatmulPreferenceSetAttribute(DendriteLtHandle pref, int attribute, const void *buf, size_t bytes);
API int cublasLtMatmulAlgoGetHeuristic(DendriteLtHandle handle, DendriteLtHandle desc, DendriteLtHandle a,
                                       DendriteLtHandle b, DendriteLtHandle c, DendriteLtHandle d,
                                       DendriteLtHandle pref, int requested, DendriteLtHeuristic *results,
                                       int *returned);
API int cublasLtMatmul(DendriteLtHandle handle, DendriteLtHandle desc, const void *alpha, const void *a,
                       DendriteLtHandle a_layout, const void *b, DendriteLtHandle b_layout, const void *beta,
                       const void *c, DendriteLtHandle c_layout, void *d, DendriteLtHandle d_layout,
                       const DendriteLtAlgo *algo, void *workspace, size_t workspace_bytes, void *stream);
API const char *cublasLtGetStatusString(int status);
API int cublasLtMatmulAlgoConfigGetAttribute(const DendriteLtAlgo *algo, int attribute, void *buf, size_t bytes,
                                             size_t *written);

/* Each definition has the type cublaslt_api.h gives the entry point (that header is checked against cublasLt.h). */
#define DEFINED_AS(function, type) static_assert(std::is_same<decltype(&function), type>::value, #function)
#define DENDRITE_LT_DEFINED(field, function, type) DEFINED_AS(function, type);
DENDRITE_LT_ENTRY_POINTS(DENDRITE_LT_DEFINED)
#undef DENDRITE_LT_DEFINED
DEFINED_AS(cublasLtGetStatusString, const char *(*)(int));
DEFINED_AS(cublasLtMatmulAlgoConfigGetAttribute, dendrite_lt_algo_config_get_fn);
static_assert(sizeof(DendriteLtAlgo) == 64 && sizeof(DendriteLtHeuristic) == 96, "cuBLASLt's layouts");

API int cublasLtCreate(DendriteLtHandle *handle) {
    if (handle == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    *handle = new Handle();
    return DENDRITE_LT_SUCCESS;
}

API int cublasLtDestroy(DendriteLtHandle handle) {
    Handle *h = as<Handle>(handle, HANDLE);
    if (h == nullptr) {
        return DENDRITE_LT_NOT_INITIALIZED;
    }
    h->kind = DEAD;
    delete h;
    return DENDRITE_LT_SUCCESS;
}

API int cublasLtMatmulDescCreate(DendriteLtHandle *desc, int compute, int scale) {
    if (desc == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    if ((compute != DENDRITE_LT_COMPUTE_32F && compute != DENDRITE_LT_COMPUTE_32F_FAST_TF32)
        || scale != DENDRITE_LT_R_32F) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt compute type %d with scale type %d is not emulated "
                     "(CUBLAS_STATUS_NOT_SUPPORTED)\n", compute, scale);
        return DENDRITE_LT_NOT_SUPPORTED;
    }
    Desc *d = new Desc();
    d->tf32 = compute == DENDRITE_LT_COMPUTE_32F_FAST_TF32;
    *desc = d;
    return DENDRITE_LT_SUCCESS;
}

API int cublasLtMatmulDescDestroy(DendriteLtHandle desc) {
    return destroy_object<Desc>(desc, DESC);
}

API int cublasLtMatmulDescSetAttribute(DendriteLtHandle desc, int attribute, const void *buf, size_t bytes) {
    Desc *d = as<Desc>(desc, DESC);
    if (d == nullptr || buf == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    if ((attribute == DENDRITE_LT_DESC_TRANSA || attribute == DENDRITE_LT_DESC_TRANSB) && bytes == sizeof(int32_t)) {
        int32_t op;
        std::memcpy(&op, buf, sizeof op);
        if (op != DENDRITE_LT_OP_N && op != DENDRITE_LT_OP_T) {
            return DENDRITE_LT_INVALID_VALUE;
        }
        (attribute == DENDRITE_LT_DESC_TRANSA ? d->ta : d->tb) = op;
        return DENDRITE_LT_SUCCESS;
    }
    if (attribute == DENDRITE_LT_DESC_EPILOGUE && bytes == sizeof(uint32_t)) {
        /* Kept as given: the heuristic and matmul refuse an epilogue not emulated (NOT_SUPPORTED), as the real
         * library does for one that no kernel of its has for these types. */
        std::memcpy(&d->epilogue, buf, sizeof d->epilogue);
        return DENDRITE_LT_SUCCESS;
    }
    if (attribute == DENDRITE_LT_DESC_BIAS_POINTER && bytes == sizeof(const float *)) {
        std::memcpy(&d->bias, buf, sizeof d->bias);
        return DENDRITE_LT_SUCCESS;
    }
    std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul descriptor attribute %d with %zu bytes is not emulated "
                 "(CUBLAS_STATUS_INVALID_VALUE)\n", attribute, bytes);
    return DENDRITE_LT_INVALID_VALUE;
}

API int cublasLtMatrixLayoutCreate(DendriteLtHandle *layout, int type, uint64_t rows, uint64_t cols, int64_t ld) {
    if (layout == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    if (type != DENDRITE_LT_R_32F) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt layout of data type %d is not emulated "
                     "(CUBLAS_STATUS_NOT_SUPPORTED)\n", type);
        return DENDRITE_LT_NOT_SUPPORTED;
    }
    /* Sizes past int's range are refused too (the real library takes them; nothing of the backend's comes near), so
     * that a product of two, as the loops form them, cannot overflow. */
    if (rows > INT32_MAX || cols > INT32_MAX || ld > INT32_MAX || ld < (int64_t) (rows > 1 ? rows : 1)) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt layout %llux%llu with ld=%lld "
                     "(CUBLAS_STATUS_INVALID_VALUE)\n", (unsigned long long) rows, (unsigned long long) cols,
                     (long long) ld);
        return DENDRITE_LT_INVALID_VALUE;
    }
    Layout *l = new Layout();
    l->rows = rows;
    l->cols = cols;
    l->ld = ld;
    *layout = l;
    return DENDRITE_LT_SUCCESS;
}

API int cublasLtMatrixLayoutDestroy(DendriteLtHandle layout) {
    return destroy_object<Layout>(layout, LAYOUT);
}

API int cublasLtMatmulPreferenceCreate(DendriteLtHandle *pref) {
    if (pref == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    *pref = new Pref();
    return DENDRITE_LT_SUCCESS;
}

API int cublasLtMatmulPreferenceDestroy(DendriteLtHandle pref) {
    return destroy_object<Pref>(pref, PREF);
}

API int cublasLtMatmulPreferenceSetAttribute(DendriteLtHandle pref, int attribute, const void *buf, size_t bytes) {
    Pref *p = as<Pref>(pref, PREF);
    if (p == nullptr || buf == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    if (attribute == DENDRITE_LT_PREF_MAX_WORKSPACE_BYTES && bytes == sizeof(uint64_t)) {
        std::memcpy(&p->max_workspace, buf, sizeof p->max_workspace);
        return DENDRITE_LT_SUCCESS;
    }
    if (attribute >= DENDRITE_LT_PREF_MIN_ALIGNMENT_A_BYTES && attribute <= DENDRITE_LT_PREF_MIN_ALIGNMENT_D_BYTES
        && bytes == sizeof(uint32_t)) {
        std::memcpy(&p->alignment[attribute - DENDRITE_LT_PREF_MIN_ALIGNMENT_A_BYTES], buf, sizeof(uint32_t));
        return DENDRITE_LT_SUCCESS;
    }
    std::fprintf(stderr, "dendrite emulator: cuBLASLt preference attribute %d with %zu bytes is not emulated "
                 "(CUBLAS_STATUS_INVALID_VALUE)\n", attribute, bytes);
    return DENDRITE_LT_INVALID_VALUE;
}

API int cublasLtMatmulAlgoGetHeuristic(DendriteLtHandle handle, DendriteLtHandle desc, DendriteLtHandle a,
                                       DendriteLtHandle b, DendriteLtHandle c, DendriteLtHandle d,
                                       DendriteLtHandle pref, int requested, DendriteLtHeuristic *results,
                                       int *returned) {
    if (as<Handle>(handle, HANDLE) == nullptr) {
        return DENDRITE_LT_NOT_INITIALIZED;
    }
    const Desc *dd = as<Desc>(desc, DESC);
    const Layout *al = as<Layout>(a, LAYOUT), *bl = as<Layout>(b, LAYOUT), *cl = as<Layout>(c, LAYOUT),
                 *dl = as<Layout>(d, LAYOUT);
    const Pref *p = as<Pref>(pref, PREF);
    if (returned == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    *returned = 0;
    if (dd == nullptr || al == nullptr || bl == nullptr || cl == nullptr || dl == nullptr || p == nullptr
        || requested < 1 || results == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    Shape s;
    int r = shape_of(dd, al, bl, cl, dl, &s);
    if (r != DENDRITE_LT_SUCCESS) {
        return r;
    }
    if (!emulated_epilogue(dd->epilogue)) {
        return DENDRITE_LT_NOT_SUPPORTED;
    }
    if (s.k == REFUSED_K) {
        return DENDRITE_LT_INTERNAL_ERROR;
    }
    /* cuBLASLt 13's heuristic fails while the calling thread captures a stream (CUBLAS_STATUS_INTERNAL_ERROR, "Could
     * not obtain green context information", reported against CUDA 13.3); here it also breaks the capture, the worst
     * a caller must be ready for, so that a plan made during a capture cannot go unnoticed. */
    if (dendrite_emu_capture_refuses("cublasLtMatmulAlgoGetHeuristic")) {
        return DENDRITE_LT_INTERNAL_ERROR;
    }
    int count = 0;
    for (int algo = 0; algo < ALGO_COUNT && count < requested; algo++) {
        size_t needed = workspace_needed(algo, s);
        bool aligned = true;
        for (uint32_t promised : p->alignment) {
            aligned = aligned && promised >= alignment_needed(algo);
        }
        if (needed > p->max_workspace || !aligned) {
            continue;
        }
        DendriteLtHeuristic &h = results[count++];
        std::memset(&h, 0, sizeof h);
        h.algo.data[0] = (uint64_t) algo;
        h.algo.data[1] = ALGO_MAGIC;
        h.workspace_bytes = needed;
        h.state = DENDRITE_LT_SUCCESS;
        h.waves_count = 1.0f;
    }
    *returned = count;
    return count > 0 ? DENDRITE_LT_SUCCESS : DENDRITE_LT_NOT_SUPPORTED;
}

API int cublasLtMatmul(DendriteLtHandle handle, DendriteLtHandle desc, const void *alpha, const void *a,
                       DendriteLtHandle a_layout, const void *b, DendriteLtHandle b_layout, const void *beta,
                       const void *c, DendriteLtHandle c_layout, void *d, DendriteLtHandle d_layout,
                       const DendriteLtAlgo *algo, void *workspace, size_t workspace_bytes, void *stream) {
    if (as<Handle>(handle, HANDLE) == nullptr) {
        return DENDRITE_LT_NOT_INITIALIZED;
    }
    const Desc *dd = as<Desc>(desc, DESC);
    const Layout *al = as<Layout>(a_layout, LAYOUT), *bl = as<Layout>(b_layout, LAYOUT),
                 *cl = as<Layout>(c_layout, LAYOUT), *dl = as<Layout>(d_layout, LAYOUT);
    if (dd == nullptr || al == nullptr || bl == nullptr || cl == nullptr || dl == nullptr || alpha == nullptr
        || beta == nullptr) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    Shape s;
    int r = shape_of(dd, al, bl, cl, dl, &s);
    if (r != DENDRITE_LT_SUCCESS) {
        return r;
    }
    if (!emulated_epilogue(dd->epilogue)) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt epilogue %u is not emulated (CUBLAS_STATUS_NOT_SUPPORTED)\n",
                     dd->epilogue);
        return DENDRITE_LT_NOT_SUPPORTED;
    }
    const float *bias = has_bias(dd->epilogue) ? dd->bias : nullptr;
    if (has_bias(dd->epilogue) && (bias == nullptr || (uintptr_t) bias % sizeof(float) != 0)) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt epilogue %u without a float-aligned bias pointer (%p; "
                     "CUBLAS_STATUS_INVALID_VALUE)\n", dd->epilogue, (const void *) bias);
        return DENDRITE_LT_INVALID_VALUE;
    }
    /* A null algorithm: the library picks one itself, here the first the heuristic would offer. */
    int id = 0;
    if (algo != nullptr) {
        if (!offered(algo)) {
            std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul with an algorithm the heuristic never offered "
                         "(data[0]=%llu; CUBLAS_STATUS_INVALID_VALUE)\n", (unsigned long long) algo->data[0]);
            return DENDRITE_LT_INVALID_VALUE;
        }
        id = (int) algo->data[0];
    }
    if (s.m == 0 || s.n == 0) {
        return DENDRITE_LT_SUCCESS;
    }
    /* The only pointer mode here is the host's, read at the call: a device address is a bug the GPU would crash on. */
    if (dendrite_emu_inside(alpha, sizeof(float)) || dendrite_emu_inside(beta, sizeof(float))) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul's alpha/beta in device memory in host pointer mode "
                     "(CUBLAS_STATUS_INVALID_VALUE)\n");
        return DENDRITE_LT_INVALID_VALUE;
    }
    uintptr_t addresses = (uintptr_t) a | (uintptr_t) b | (uintptr_t) c | (uintptr_t) d;
    if (addresses % alignment_needed(id) != 0) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul algo %d needs %u-byte aligned matrices, given A=%p "
                     "B=%p C=%p D=%p (misaligned on a GPU; CUBLAS_STATUS_INVALID_VALUE)\n", id, alignment_needed(id),
                     a, b, c, (void *) d);
        return DENDRITE_LT_INVALID_VALUE;
    }
    size_t needed = workspace_needed(id, s);
    if (needed > 0 && (workspace == nullptr || workspace_bytes < needed)) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul algo %d needs %zu bytes of workspace, given %zu at %p "
                     "(CUBLAS_STATUS_INVALID_VALUE)\n", id, needed, workspace_bytes, workspace);
        return DENDRITE_LT_INVALID_VALUE;
    }
    Matmul *g = new Matmul{id, dd->ta, dd->tb, s.m, s.n, s.k, 0.0f, 0.0f, (const float *) a, (const float *) b,
                           (const float *) c, (float *) d, al->ld, bl->ld, cl->ld, dl->ld, dd->tf32,
                           needed > 0 ? (float *) workspace : nullptr, dd->epilogue, bias};
    std::memcpy(&g->alpha, alpha, sizeof(float));
    std::memcpy(&g->beta, beta, sizeof(float));
    size_t a_bytes = s.k > 0 ? extent((long long) al->rows, (long long) al->cols, al->ld) * sizeof(float) : 0;
    size_t b_bytes = s.k > 0 ? extent((long long) bl->rows, (long long) bl->cols, bl->ld) * sizeof(float) : 0;
    size_t c_bytes = extent(s.m, s.n, cl->ld) * sizeof(float), d_bytes = extent(s.m, s.n, dl->ld) * sizeof(float);
    if (!inside("A", a, a_bytes, *g) || !inside("B", b, b_bytes, *g) || !inside("C", c, c_bytes, *g)
        || !inside("D", d, d_bytes, *g) || !inside("the workspace", workspace, needed, *g)
        || (bias != nullptr && !inside("the bias", bias, (size_t) s.m * sizeof(float), *g))) {
        delete g;
        return DENDRITE_LT_INVALID_VALUE;
    }
    /* Undefined in cuBLASLt, and hidden here (the operands are packed first, C read where D is written): D over A or
     * B, D over a C that is not D itself, the workspace over any matrix. Spans are compared, a conservative test. */
    const char *clash = nullptr;
    if (overlap(d, d_bytes, a, a_bytes) || overlap(d, d_bytes, b, b_bytes)) {
        clash = "D overlaps an operand";
    } else if ((c != d || cl->ld != dl->ld) && overlap(d, d_bytes, c, c_bytes)) {
        clash = "D overlaps C without being it";
    } else if (bias != nullptr && overlap(d, d_bytes, bias, (size_t) s.m * sizeof(float))) {
        clash = "D overlaps the bias";
    } else if (overlap(workspace, needed, a, a_bytes) || overlap(workspace, needed, b, b_bytes)
               || overlap(workspace, needed, c, c_bytes) || overlap(workspace, needed, d, d_bytes)) {
        clash = "the workspace overlaps a matrix";
    }
    if (clash != nullptr) {
        std::fprintf(stderr, "dendrite emulator: cuBLASLt matmul m=%lld n=%lld k=%lld: %s (undefined in cuBLASLt)\n",
                     s.m, s.n, s.k, clash);
        delete g;
        return DENDRITE_LT_INVALID_VALUE;
    }
    return dendrite_emu_enqueue(stream, run_matmul, g, release) == 0 ? DENDRITE_LT_SUCCESS
                                                                       : DENDRITE_LT_EXECUTION_FAILED;
}

/*
 * An offered algorithm's configuration, as the GEMM choice log asks for it: its id, no tile or stages ids (0, the
 * library's "undefined"), one split of k for algorithm 0 and two for the others, added in the kernel (algorithm 1,
 * CUBLASLT_REDUCTION_SCHEME_INPLACE = 1) or through the workspace in the compute type (algorithm 2, COMPUTE_TYPE =
 * 2). Attributes 7 and 8 (inner and cluster shape) are 2 bytes, the others 4; with `bytes` 0 only the size needed is
 * written, as in cuBLASLt.
 */
API int cublasLtMatmulAlgoConfigGetAttribute(const DendriteLtAlgo *algo, int attribute, void *buf, size_t bytes,
                                             size_t *written) {
    if (algo == nullptr || !offered(algo) || attribute < 0 || attribute > 8) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    size_t needed = attribute >= 7 ? sizeof(uint16_t) : sizeof(uint32_t);
    if (bytes == 0 && written != nullptr) {
        *written = needed;
        return DENDRITE_LT_SUCCESS;
    }
    if (buf == nullptr || bytes != needed) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    int id = (int) algo->data[0];
    uint32_t value = 0;
    if (attribute == DENDRITE_LT_ALGO_CONFIG_ID) {
        value = (uint32_t) id;
    } else if (attribute == DENDRITE_LT_ALGO_CONFIG_SPLITK_NUM) {
        value = id == 0 ? 1u : 2u;
    } else if (attribute == DENDRITE_LT_ALGO_CONFIG_REDUCTION_SCHEME) {
        value = (uint32_t) id;
    }
    if (needed == sizeof(uint16_t)) {
        uint16_t narrow = (uint16_t) value;
        std::memcpy(buf, &narrow, sizeof narrow);
    } else {
        std::memcpy(buf, &value, sizeof value);
    }
    if (written != nullptr) {
        *written = needed;
    }
    return DENDRITE_LT_SUCCESS;
}

API const char *cublasLtGetStatusString(int status) {
    switch (status) {
        case 0: return "CUBLAS_STATUS_SUCCESS";
        case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
        case 7: return "CUBLAS_STATUS_INVALID_VALUE";
        case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
        case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "<unknown>";
    }
}
