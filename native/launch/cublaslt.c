/*
 * cublaslt.c - the cuBLASLt calls of libdendrite_launch.so (Java side: dev.dendrite.backend.cuda.CudaLt). JCuda 12.6
 * binds no cuBLASLt, and the backend needs only its FP32 product, chosen among the algorithms cuBLASLt's heuristic
 * offers for a shape: cuBLAS's SGEMM takes one algorithm per shape without measuring, and at the course's small
 * products (M = 64-128, a few microseconds each) the one it takes need not be the fastest on the GPU at hand. A dense
 * relu or linear layer may also run as one product with its bias and relu in the epilogue (one launch for what
 * otherwise takes the product and a kernel after it).
 * The GEMM tuner times the offered algorithms beside cuBLAS and its own kernels and keeps whichever is fastest.
 *
 * A "plan" is one shape's descriptors and heuristic results, made once and kept until the backend closes: a product
 * then costs one cublasLtMatmul, which a stream capture records like any cuBLAS call.
 *
 * The library is opened with dlopen at the first call, not linked, as launch.c opens the driver: where it is
 * missing, openProblem() says why and the tuner does not offer it. Its entry points are declared in cublaslt_api.h.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cublaslt_api.h"

/* The most algorithms a plan keeps: the tuner times each, so more would lengthen a shape's first call. */
#define DENDRITE_LT_MAX_ALGOS 8

static pthread_once_t lt_once = PTHREAD_ONCE_INIT;
static char lt_problem[512];
#define DENDRITE_LT_DECLARE(field, function, type) static type lt_##field;
DENDRITE_LT_ENTRY_POINTS(DENDRITE_LT_DECLARE)
#undef DENDRITE_LT_DECLARE
static const char *(*lt_status_string)(int);
static dendrite_lt_algo_config_get_fn lt_algo_config_get;

/* One shape's descriptors and the algorithms the heuristic offered for it. */
typedef struct {
    DendriteLtHandle desc, a, b, c;
    int count;
    DendriteLtHeuristic results[DENDRITE_LT_MAX_ALGOS];
} LtPlan;

static void *open_first(const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (names[i] != NULL && names[i][0] != '\0') {
            void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
            if (h != NULL) {
                return h;
            }
        }
    }
    return NULL;
}

/*
 * Where cuBLASLt is looked for, in order: $DENDRITE_CUBLASLT (a file); beside $DENDRITE_CUBLAS, the cuBLAS 13 that
 * native/cublas12 forwards to (a cuBLAS wheel keeps both in one folder); the loader's search, which also finds the
 * copy cuBLAS 13 itself loaded; CUDA's usual folders.
 */
static void open_lt(void) {
    char beside[4096] = "";
    const char *cublas = getenv("DENDRITE_CUBLAS");
    if (cublas != NULL && cublas[0] != '\0' && strlen(cublas) < sizeof beside - 32) {
        char copy[4096];
        strcpy(copy, cublas);
        snprintf(beside, sizeof beside, "%s/libcublasLt.so.13", dirname(copy));
    }
    char home[4096] = "";
    const char *cuda_home = getenv("CUDA_HOME");
    if (cuda_home != NULL && cuda_home[0] != '\0' && strlen(cuda_home) < sizeof home - 32) {
        snprintf(home, sizeof home, "%s/lib64/libcublasLt.so.13", cuda_home);
    }
    const char *names[] = {getenv("DENDRITE_CUBLASLT"), beside, "libcublasLt.so.13", home,
                           "/usr/local/cuda/lib64/libcublasLt.so.13",
                           "/usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13"};
    void *h = open_first(names, sizeof names / sizeof names[0]);
    if (h == NULL) {
        snprintf(lt_problem, sizeof lt_problem, "libcublasLt.so.13 was not found ($DENDRITE_CUBLASLT, beside "
                 "$DENDRITE_CUBLAS, the loader's path, CUDA's folders; the last said: %s)", dlerror());
        return;
    }
    int missing = 0;
#define DENDRITE_LT_OPEN(field, function, type)      \
    lt_##field = (type) dlsym(h, #function);          \
    missing |= lt_##field == NULL;
    DENDRITE_LT_ENTRY_POINTS(DENDRITE_LT_OPEN)
#undef DENDRITE_LT_OPEN
    /* Optional: names and descriptions only. */
    lt_status_string = (const char *(*)(int)) dlsym(h, "cublasLtGetStatusString");
    lt_algo_config_get = (dendrite_lt_algo_config_get_fn) dlsym(h, "cublasLtMatmulAlgoConfigGetAttribute");
    if (missing) {
        snprintf(lt_problem, sizeof lt_problem, "the cuBLASLt that was opened lacks an entry point the backend calls");
        lt_create = NULL;
    }
}

static int ready(void) {
    pthread_once(&lt_once, open_lt);
    return lt_create != NULL;
}

static void *as_pointer(jlong v) {
    return (void *) (uintptr_t) v;
}

JNIEXPORT jstring JNICALL Java_dev_dendrite_backend_cuda_CudaLt_openProblem(JNIEnv *env, jclass cls) {
    (void) cls;
    return ready() ? NULL : (*env)->NewStringUTF(env, lt_problem);
}

JNIEXPORT jstring JNICALL Java_dev_dendrite_backend_cuda_CudaLt_statusName(JNIEnv *env, jclass cls, jint status) {
    (void) cls;
    char name[64];
    const char *s = ready() && lt_status_string != NULL ? lt_status_string(status) : NULL;
    if (s == NULL) {
        snprintf(name, sizeof name, "cuBLAS status %d", (int) status);
        s = name;
    }
    return (*env)->NewStringUTF(env, s);
}

/* A handle into out[0]; returns the cublasStatus_t. */
JNIEXPORT jint JNICALL Java_dev_dendrite_backend_cuda_CudaLt_create(JNIEnv *env, jclass cls, jlongArray out) {
    (void) cls;
    if (!ready()) {
        return DENDRITE_LT_NOT_INITIALIZED;
    }
    DendriteLtHandle h = NULL;
    int rc = lt_create(&h);
    jlong v = (jlong) (uintptr_t) h;
    (*env)->SetLongArrayRegion(env, out, 0, 1, &v);
    return rc;
}

JNIEXPORT jint JNICALL Java_dev_dendrite_backend_cuda_CudaLt_destroy(JNIEnv *env, jclass cls, jlong handle) {
    (void) env;
    (void) cls;
    return ready() ? lt_destroy(as_pointer(handle)) : DENDRITE_LT_NOT_INITIALIZED;
}

static void free_plan(LtPlan *p) {
    if (p->desc != NULL) {
        lt_desc_destroy(p->desc);
    }
    DendriteLtHandle layouts[] = {p->a, p->b, p->c};
    for (int i = 0; i < 3; i++) {
        if (layouts[i] != NULL) {
            lt_layout_destroy(layouts[i]);
        }
    }
    free(p);
}

/*
 * The plan of the column-major product C (m x n, ldc) = op(A) (m x k, lda) op(B) (k x n, ldb) with compute type
 * `compute` and cublasLtEpilogue_t `epilogue` (the plain product, or relu and a bias of m values after it, the bias
 * at device address `bias` for the heuristic, each call giving its own): its descriptors and up to `requested`
 * algorithms that need at most `max_workspace` bytes and work on operands aligned to align_a, align_b and align_c
 * bytes (C is also D). The plan's address into out[0] and its number of algorithms into out[1] (0 when the heuristic
 * has none: then no plan is kept); returns the cublasStatus_t of the first call that failed, or 0.
 */
JNIEXPORT jint JNICALL Java_dev_dendrite_backend_cuda_CudaLt_plan(
        JNIEnv *env, jclass cls, jlong handle, jint compute, jint transa, jint transb, jint m, jint n, jint k,
        jint lda, jint ldb, jint ldc, jint align_a, jint align_b, jint align_c, jint epilogue, jlong bias,
        jlong max_workspace, jint requested, jlongArray out) {
    (void) cls;
    if (!ready()) {
        return DENDRITE_LT_NOT_INITIALIZED;
    }
    if (requested < 1 || requested > DENDRITE_LT_MAX_ALGOS || max_workspace < 0) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    LtPlan *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return DENDRITE_LT_ALLOC_FAILED;
    }
    int32_t ta = transa, tb = transb;
    uint32_t epilogue_value = (uint32_t) epilogue;
    uint64_t bytes = (uint64_t) max_workspace;
    DendriteLtHandle pref = NULL;
    int rc = lt_desc_create(&p->desc, compute, DENDRITE_LT_R_32F);
    if (rc == 0) rc = lt_desc_set(p->desc, DENDRITE_LT_DESC_TRANSA, &ta, sizeof ta);
    if (rc == 0) rc = lt_desc_set(p->desc, DENDRITE_LT_DESC_TRANSB, &tb, sizeof tb);
    if (rc == 0) rc = lt_desc_set(p->desc, DENDRITE_LT_DESC_EPILOGUE, &epilogue_value, sizeof epilogue_value);
    /* As PyTorch's gemm_and_bias does: the heuristic sees a bias address like those the calls will give. */
    const void *bias_address = as_pointer(bias);
    if (rc == 0 && bias != 0)
        rc = lt_desc_set(p->desc, DENDRITE_LT_DESC_BIAS_POINTER, &bias_address, sizeof bias_address);
    /* A column-major matrix is described as stored: op(A) = A^T is stored k x m. */
    if (rc == 0) rc = lt_layout_create(&p->a, DENDRITE_LT_R_32F, ta ? k : m, ta ? m : k, lda);
    if (rc == 0) rc = lt_layout_create(&p->b, DENDRITE_LT_R_32F, tb ? n : k, tb ? k : n, ldb);
    if (rc == 0) rc = lt_layout_create(&p->c, DENDRITE_LT_R_32F, m, n, ldc);
    if (rc == 0) rc = lt_pref_create(&pref);
    if (rc == 0) rc = lt_pref_set(pref, DENDRITE_LT_PREF_MAX_WORKSPACE_BYTES, &bytes, sizeof bytes);
    uint32_t alignments[] = {(uint32_t) align_a, (uint32_t) align_b, (uint32_t) align_c, (uint32_t) align_c};
    int alignment_attributes[] = {DENDRITE_LT_PREF_MIN_ALIGNMENT_A_BYTES, DENDRITE_LT_PREF_MIN_ALIGNMENT_B_BYTES,
                                  DENDRITE_LT_PREF_MIN_ALIGNMENT_C_BYTES, DENDRITE_LT_PREF_MIN_ALIGNMENT_D_BYTES};
    for (int i = 0; i < 4 && rc == 0; i++) {
        rc = lt_pref_set(pref, alignment_attributes[i], &alignments[i], sizeof alignments[i]);
    }
    int returned = 0;
    if (rc == 0) {
        rc = lt_heuristic(as_pointer(handle), p->desc, p->a, p->b, p->c, p->c, pref, requested, p->results,
                          &returned);
        if (rc == DENDRITE_LT_NOT_SUPPORTED) { /* no algorithm for this shape: nothing to offer, not a failure */
            rc = 0;
            returned = 0;
        }
    }
    if (pref != NULL) {
        lt_pref_destroy(pref);
    }
    /* Only the algorithms the heuristic says can run (state 0, CUBLAS_STATUS_SUCCESS). */
    int kept = 0;
    for (int i = 0; rc == 0 && i < returned && i < requested; i++) {
        if (p->results[i].state == 0) {
            p->results[kept++] = p->results[i];
        }
    }
    p->count = kept;
    jlong result[2] = {0, kept};
    if (rc == 0 && kept > 0) {
        result[0] = (jlong) (uintptr_t) p;
    } else {
        free_plan(p);
    }
    (*env)->SetLongArrayRegion(env, out, 0, 2, result);
    return rc;
}

JNIEXPORT void JNICALL Java_dev_dendrite_backend_cuda_CudaLt_freePlan(JNIEnv *env, jclass cls, jlong plan) {
    (void) env;
    (void) cls;
    if (plan != 0 && ready()) {
        free_plan(as_pointer(plan));
    }
}

/*
 * C = alpha op(A) op(B) + beta C on `stream` with algorithm `algo` of `plan` (C is also the output D, in place), and
 * the plan's epilogue, whose bias (if it has one) is at device address `bias`; alpha, beta and the bias address are
 * read now, so a captured graph keeps these values. Returns the cublasStatus_t.
 */
JNIEXPORT jint JNICALL Java_dev_dendrite_backend_cuda_CudaLt_matmul(
        JNIEnv *env, jclass cls, jlong handle, jlong plan, jint algo, jfloat alpha, jlong a, jlong b, jfloat beta,
        jlong c, jlong bias, jlong workspace, jlong workspace_bytes, jlong stream) {
    (void) env;
    (void) cls;
    const LtPlan *p = as_pointer(plan);
    if (!ready()) {
        return DENDRITE_LT_NOT_INITIALIZED;
    }
    if (p == NULL || algo < 0 || algo >= p->count || workspace_bytes < 0) {
        return DENDRITE_LT_INVALID_VALUE;
    }
    if (bias != 0) {
        /* The descriptor is the plan's own and the backend's one thread issues every call: setting the address
         * just before the call that reads it is safe, and a capture records the launch with the value set now. */
        const void *address = as_pointer(bias);
        int rc = lt_desc_set(p->desc, DENDRITE_LT_DESC_BIAS_POINTER, &address, sizeof address);
        if (rc != 0) {
            return rc;
        }
    }
    float scalars[2] = {alpha, beta};
    return lt_matmul(as_pointer(handle), p->desc, &scalars[0], as_pointer(a), p->a, as_pointer(b), p->b, &scalars[1],
                     as_pointer(c), p->c, as_pointer(c), p->c, &p->results[algo].algo, as_pointer(workspace),
                     (size_t) workspace_bytes, as_pointer(stream));
}

/* One attribute of an algorithm's configuration as a number, or -1 where it cannot be read. */
static long long algo_config(const DendriteLtAlgo *algo, int attribute) {
    uint32_t value = 0; /* every attribute read here is 4 bytes: int32_t or uint32_t */
    size_t written = 0;
    if (lt_algo_config_get == NULL || lt_algo_config_get(algo, attribute, &value, sizeof value, &written) != 0
        || written != sizeof value) {
        return -1;
    }
    return attribute == DENDRITE_LT_ALGO_CONFIG_ID || attribute == DENDRITE_LT_ALGO_CONFIG_SPLITK_NUM
               ? (long long) (int32_t) value : (long long) value;
}

/*
 * What algorithm `algo` of a plan is, for the GEMM choice log: cuBLASLt's algorithm id, tile and stages ids (enum
 * values of cublasLt.h), the splits of k and their reduction scheme, the workspace it needs and the heuristic's
 * estimate of its waves (blocks over the GPU's concurrent capacity); null when the plan has no such algorithm.
 */
JNIEXPORT jstring JNICALL Java_dev_dendrite_backend_cuda_CudaLt_describe(JNIEnv *env, jclass cls, jlong plan,
                                                                         jint algo) {
    (void) cls;
    const LtPlan *p = as_pointer(plan);
    if (p == NULL || algo < 0 || algo >= p->count) {
        return NULL;
    }
    const DendriteLtHeuristic *h = &p->results[algo];
    char text[256];
    snprintf(text, sizeof text, "algo %lld, tile %lld, split-k %lld (reduction %lld), stages %lld, workspace %zu B, "
             "waves %.2f", algo_config(&h->algo, DENDRITE_LT_ALGO_CONFIG_ID),
             algo_config(&h->algo, DENDRITE_LT_ALGO_CONFIG_TILE_ID),
             algo_config(&h->algo, DENDRITE_LT_ALGO_CONFIG_SPLITK_NUM),
             algo_config(&h->algo, DENDRITE_LT_ALGO_CONFIG_REDUCTION_SCHEME),
             algo_config(&h->algo, DENDRITE_LT_ALGO_CONFIG_STAGES_ID), h->workspace_bytes, (double) h->waves_count);
    return (*env)->NewStringUTF(env, text);
}
