/*
 * cublaslt_api.h - the part of cuBLASLt (libcublasLt.so.13) that the CUDA backend calls through cublaslt.c, declared
 * by hand: the machines that build the project have no cuBLAS headers, and the library is opened at run time. One
 * source for both sides of the call: cublaslt.c calls through these types, and the emulator's libcublasLt.so.13
 * (native/emulator/cublaslt.cc) defines its functions with them. bench/gpu/dev/check/blas_abi.sh compiles them
 * against CUDA 13's real cublasLt.h (argument counts and sizes, enum values, the heuristic result's layout).
 *
 * Handles and descriptors are the library's own opaque objects, created and destroyed by it; only the heuristic's
 * result, which the caller allocates, needs its layout here.
 */
#ifndef DENDRITE_CUBLASLT_API_H
#define DENDRITE_CUBLASLT_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cublasStatus_t */
enum {
    DENDRITE_LT_SUCCESS = 0,
    DENDRITE_LT_NOT_INITIALIZED = 1,
    DENDRITE_LT_ALLOC_FAILED = 3,
    DENDRITE_LT_INVALID_VALUE = 7,
    DENDRITE_LT_EXECUTION_FAILED = 13,
    DENDRITE_LT_INTERNAL_ERROR = 14,
    DENDRITE_LT_NOT_SUPPORTED = 15
};

/* cudaDataType_t, cublasComputeType_t, cublasOperation_t */
enum { DENDRITE_LT_R_32F = 0 };
enum { DENDRITE_LT_COMPUTE_32F = 68, DENDRITE_LT_COMPUTE_32F_FAST_TF32 = 77 };
enum { DENDRITE_LT_OP_N = 0, DENDRITE_LT_OP_T = 1 };

/*
 * cublasLtMatmulDescAttributes_t: the transposes (int32_t each), the epilogue (uint32_t) and the bias vector's device
 * address (a pointer; its length is D's rows, one value per row of the column-major D, broadcast along its columns)
 */
enum {
    DENDRITE_LT_DESC_TRANSA = 3,
    DENDRITE_LT_DESC_TRANSB = 4,
    DENDRITE_LT_DESC_EPILOGUE = 7,
    DENDRITE_LT_DESC_BIAS_POINTER = 8
};
/*
 * cublasLtEpilogue_t: the plain product, D = alpha op(A) op(B) + beta C; and that with relu(...) applied, with the
 * bias added before it, or both: D = relu(alpha op(A) op(B) + beta C + bias)
 */
enum {
    DENDRITE_LT_EPILOGUE_DEFAULT = 1,
    DENDRITE_LT_EPILOGUE_RELU = 2,
    DENDRITE_LT_EPILOGUE_BIAS = 4,
    DENDRITE_LT_EPILOGUE_RELU_BIAS = 6
};
/*
 * cublasLtMatmulPreferenceAttributes_t: the most workspace an algorithm may ask for (uint64_t), and the alignment in
 * bytes the operands A, B, C and D are known to have (uint32_t each; the default, 256, admits algorithms that fail
 * on less aligned pointers, and a slice of a buffer may start on any float).
 */
enum {
    DENDRITE_LT_PREF_MAX_WORKSPACE_BYTES = 1,
    DENDRITE_LT_PREF_MIN_ALIGNMENT_A_BYTES = 5,
    DENDRITE_LT_PREF_MIN_ALIGNMENT_B_BYTES = 6,
    DENDRITE_LT_PREF_MIN_ALIGNMENT_C_BYTES = 7,
    DENDRITE_LT_PREF_MIN_ALIGNMENT_D_BYTES = 8
};

/*
 * cublasLtMatmulAlgoConfigAttributes_t: what an offered algorithm is, for the GEMM choice log: its id (int32_t), tile
 * (uint32_t), splits of k (int32_t) and how they are added up (uint32_t), and its pipeline stages (uint32_t).
 */
enum {
    DENDRITE_LT_ALGO_CONFIG_ID = 0,
    DENDRITE_LT_ALGO_CONFIG_TILE_ID = 1,
    DENDRITE_LT_ALGO_CONFIG_SPLITK_NUM = 2,
    DENDRITE_LT_ALGO_CONFIG_REDUCTION_SCHEME = 3,
    DENDRITE_LT_ALGO_CONFIG_STAGES_ID = 6
};

/* cublasLtMatmulAlgo_t: 64 bytes the heuristic fills and cublasLtMatmul reads back. */
typedef struct {
    uint64_t data[8];
} DendriteLtAlgo;

/* cublasLtMatmulHeuristicResult_t: the algorithm, the workspace it needs, its status, waves, 16 reserved bytes. */
typedef struct {
    DendriteLtAlgo algo;
    size_t workspace_bytes;
    int state;
    float waves_count;
    int reserved[4];
} DendriteLtHeuristic;

#ifdef __cplusplus
static_assert(sizeof(DendriteLtHeuristic) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");
#else
_Static_assert(sizeof(DendriteLtHeuristic) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");
#endif

typedef void *DendriteLtHandle; /* cublasLtHandle_t and the descriptors: pointers to the library's objects */

/* cublasLtCreate, cublasLtDestroy */
typedef int (*dendrite_lt_create_fn)(DendriteLtHandle *);
typedef int (*dendrite_lt_destroy_fn)(DendriteLtHandle);
/* cublasLtMatmulDescCreate(desc, compute type, scale type), ...Destroy, ...SetAttribute(desc, attribute, buf, size) */
typedef int (*dendrite_lt_desc_create_fn)(DendriteLtHandle *, int, int);
typedef int (*dendrite_lt_desc_destroy_fn)(DendriteLtHandle);
typedef int (*dendrite_lt_desc_set_fn)(DendriteLtHandle, int, const void *, size_t);
/* cublasLtMatrixLayoutCreate(layout, type, rows, cols, leading dimension), ...Destroy */
typedef int (*dendrite_lt_layout_create_fn)(DendriteLtHandle *, int, uint64_t, uint64_t, int64_t);
typedef int (*dendrite_lt_layout_destroy_fn)(DendriteLtHandle);
/* cublasLtMatmulPreferenceCreate, ...Destroy, ...SetAttribute */
typedef int (*dendrite_lt_pref_create_fn)(DendriteLtHandle *);
typedef int (*dendrite_lt_pref_destroy_fn)(DendriteLtHandle);
typedef int (*dendrite_lt_pref_set_fn)(DendriteLtHandle, int, const void *, size_t);
/* cublasLtMatmulAlgoGetHeuristic(handle, desc, A, B, C, D layouts, preference, requested, results, returned) */
typedef int (*dendrite_lt_heuristic_fn)(DendriteLtHandle, DendriteLtHandle, DendriteLtHandle, DendriteLtHandle,
                                        DendriteLtHandle, DendriteLtHandle, DendriteLtHandle, int,
                                        DendriteLtHeuristic *, int *);
/* cublasLtMatmul(handle, desc, alpha, A, Adesc, B, Bdesc, beta, C, Cdesc, D, Ddesc, algo, workspace, bytes, stream) */
typedef int (*dendrite_lt_matmul_fn)(DendriteLtHandle, DendriteLtHandle, const void *, const void *,
                                     DendriteLtHandle, const void *, DendriteLtHandle, const void *, const void *,
                                     DendriteLtHandle, void *, DendriteLtHandle, const DendriteLtAlgo *, void *,
                                     size_t, void *);

/* cublasLtMatmulAlgoConfigGetAttribute(algo, attribute, buf, size, written) */
typedef int (*dendrite_lt_algo_config_get_fn)(const DendriteLtAlgo *, int, void *, size_t, size_t *);

/*
 * The entry points a product needs, each X(field, function, type): one list for the four places that name them.
 * cublaslt.c and the dev programs (bench/gpu/dev/common.cuh) open each with dlsym into a pointer named after `field`
 * and need all of them; the emulator defines each with its `type`; blas_abi.cu checks each `type` against the real
 * function. (cublasLtGetStatusString and cublasLtMatmulAlgoConfigGetAttribute are optional: messages only.)
 */
#define DENDRITE_LT_ENTRY_POINTS(X)                                                                                \
    X(create, cublasLtCreate, dendrite_lt_create_fn)                                                               \
    X(destroy, cublasLtDestroy, dendrite_lt_destroy_fn)                                                            \
    X(desc_create, cublasLtMatmulDescCreate, dendrite_lt_desc_create_fn)                                           \
    X(desc_destroy, cublasLtMatmulDescDestroy, dendrite_lt_desc_destroy_fn)                                        \
    X(desc_set, cublasLtMatmulDescSetAttribute, dendrite_lt_desc_set_fn)                                           \
    X(layout_create, cublasLtMatrixLayoutCreate, dendrite_lt_layout_create_fn)                                     \
    X(layout_destroy, cublasLtMatrixLayoutDestroy, dendrite_lt_layout_destroy_fn)                                  \
    X(pref_create, cublasLtMatmulPreferenceCreate, dendrite_lt_pref_create_fn)                                     \
    X(pref_destroy, cublasLtMatmulPreferenceDestroy, dendrite_lt_pref_destroy_fn)                                  \
    X(pref_set, cublasLtMatmulPreferenceSetAttribute, dendrite_lt_pref_set_fn)                                     \
    X(heuristic, cublasLtMatmulAlgoGetHeuristic, dendrite_lt_heuristic_fn)                                         \
    X(matmul, cublasLtMatmul, dendrite_lt_matmul_fn)

#ifdef __cplusplus
}
#endif

#endif
