/*
 * blas_abi.cu - a compile-time check of the cuBLAS and cuBLASLt entry points that common.cuh declares by hand (the
 * machine that builds the explorations has no cuBLAS headers; they open the libraries at run time), and of
 * native/launch/cublaslt_api.h, the backend's (and the emulator's) declarations of cuBLASLt. Compiled against
 * the real headers (blas_abi.sh finds them in a cuBLAS wheel), every hand-made function pointer must take as many
 * arguments as the library's function, each of the same size (and a pointer where the library has one), and every
 * enum value and the heuristic result's layout must match. Nothing runs: compiling is the check.
 */
#include <cuda_runtime.h>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cublasLt.h"
#include "cublas_v2.h"

#include "../common.cuh"
#include "../../../../native/launch/cublaslt_api.h"

template <class T> struct Signature;
template <class R, class... A> struct Signature<R (*)(A...)> {
    using result = R;
    using arguments = std::tuple<A...>;
    static constexpr size_t count = sizeof...(A);
};

/* What the calling convention sees: pointer or not, float type, else the size. */
template <class X, class Y> constexpr bool passes_alike() {
    using x = std::decay_t<X>;
    using y = std::decay_t<Y>;
    if constexpr (std::is_pointer_v<x> || std::is_pointer_v<y>) {
        return std::is_pointer_v<x> && std::is_pointer_v<y>;
    } else if constexpr (std::is_floating_point_v<x> || std::is_floating_point_v<y>) {
        return std::is_same_v<x, y>;
    } else {
        return sizeof(x) == sizeof(y);
    }
}

template <class F, class G, size_t... I> constexpr bool arguments_alike(std::index_sequence<I...>) {
    return (passes_alike<std::tuple_element_t<I, typename Signature<F>::arguments>,
                         std::tuple_element_t<I, typename Signature<G>::arguments>>() && ...);
}

template <class F, class G> constexpr bool same_call() {
    if constexpr (Signature<F>::count != Signature<G>::count) {
        return false;
    } else {
        return passes_alike<typename Signature<F>::result, typename Signature<G>::result>() &&
               arguments_alike<F, G>(std::make_index_sequence<Signature<F>::count>{});
    }
}

#define SAME_CALL(owner, field, function) \
    static_assert(same_call<decltype(owner::field), decltype(&function)>(), #owner "::" #field " is not " #function)
/* The same for a function pointer type (cublaslt_api.h's typedefs) */
#define SAME_TYPE_CALL(type, function) static_assert(same_call<type, decltype(&function)>(), #type " is not " #function)

SAME_CALL(Cublas, create, cublasCreate_v2);
SAME_CALL(Cublas, destroy, cublasDestroy_v2);
SAME_CALL(Cublas, set_stream, cublasSetStream_v2);
SAME_CALL(Cublas, set_workspace, cublasSetWorkspace_v2);
SAME_CALL(Cublas, sgemm, cublasSgemm_v2);
SAME_CALL(Cublas, sgemm_batched, cublasSgemmStridedBatched);
/* These two have C++ overloads in cublas_api.h (taking cuBLAS 13's newer enum types); the library's C entry points
 * are the ones dlsym finds. */
using GemmEx = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void *,
                                  const void *, cudaDataType, int, const void *, cudaDataType, int, const void *,
                                  void *, cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
using SetEmulationStrategy = cublasStatus_t (*)(cublasHandle_t, cublasEmulationStrategy_t);
static_assert(same_call<decltype(Cublas::gemm_ex), decltype(static_cast<GemmEx>(&cublasGemmEx))>(),
              "Cublas::gemm_ex is not cublasGemmEx");
static_assert(same_call<decltype(Cublas::set_emulation_strategy),
                        decltype(static_cast<SetEmulationStrategy>(&cublasSetEmulationStrategy))>(),
              "Cublas::set_emulation_strategy is not cublasSetEmulationStrategy");

/* CublasLt's entry points have cublaslt_api.h's types (DENDRITE_LT_ENTRY_POINTS, and status_string's), checked
 * below. */

/* LtAlgo and LtHeuristic are cublaslt_api.h's structs, whose layouts are checked below. */
static_assert(std::is_same_v<LtAlgo, DendriteLtAlgo> && std::is_same_v<LtHeuristic, DendriteLtHeuristic>);

static_assert(CublasLt::DESC_BIAS_POINTER == CUBLASLT_MATMUL_DESC_BIAS_POINTER);
static_assert(CublasLt::DESC_AUX_POINTER == CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER);
static_assert(CublasLt::DESC_AUX_LD == CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD);
static_assert(CublasLt::EPI_RELU_BIAS == CUBLASLT_EPILOGUE_RELU_BIAS);
static_assert(CublasLt::EPI_RELU_AUX_BIAS == CUBLASLT_EPILOGUE_RELU_AUX_BIAS);
static_assert(CublasLt::EPI_DRELU_BGRAD == CUBLASLT_EPILOGUE_DRELU_BGRAD);
static_assert(CublasLt::EPI_BGRADA == CUBLASLT_EPILOGUE_BGRADA);
/* The values the explorations pass as plain ints */
static_assert(CUBLAS_OP_N == 0 && CUBLAS_OP_T == 1 && sizeof(cublasOperation_t) == 4);
static_assert(CUBLAS_COMPUTE_32F_FAST_TF32 == 77 && CUDA_R_32F == 0);

/* native/launch/cublaslt_api.h: the backend's cublaslt.c calls through these, the emulator's cublaslt.cc defines
 * them */
#define SAME_ENTRY_POINT(field, function, type) SAME_TYPE_CALL(type, function);
DENDRITE_LT_ENTRY_POINTS(SAME_ENTRY_POINT)
SAME_TYPE_CALL(dendrite_lt_algo_config_get_fn, cublasLtMatmulAlgoConfigGetAttribute);
/* cublaslt.c and the emulator call and define cublasLtGetStatusString as this type (the header has no typedef) */
SAME_TYPE_CALL(const char *(*)(int), cublasLtGetStatusString);

/* The values, compared as ints (cublaslt_api.h's enums are unnamed, the headers' are not) */
#define SAME_VALUE(ours, theirs) static_assert((int) (ours) == (int) (theirs), #ours " is not " #theirs)
SAME_VALUE(DENDRITE_LT_SUCCESS, CUBLAS_STATUS_SUCCESS);
SAME_VALUE(DENDRITE_LT_NOT_INITIALIZED, CUBLAS_STATUS_NOT_INITIALIZED);
SAME_VALUE(DENDRITE_LT_ALLOC_FAILED, CUBLAS_STATUS_ALLOC_FAILED);
SAME_VALUE(DENDRITE_LT_INVALID_VALUE, CUBLAS_STATUS_INVALID_VALUE);
SAME_VALUE(DENDRITE_LT_EXECUTION_FAILED, CUBLAS_STATUS_EXECUTION_FAILED);
SAME_VALUE(DENDRITE_LT_INTERNAL_ERROR, CUBLAS_STATUS_INTERNAL_ERROR);
SAME_VALUE(DENDRITE_LT_NOT_SUPPORTED, CUBLAS_STATUS_NOT_SUPPORTED);
SAME_VALUE(DENDRITE_LT_R_32F, CUDA_R_32F);
SAME_VALUE(DENDRITE_LT_COMPUTE_32F, CUBLAS_COMPUTE_32F);
SAME_VALUE(DENDRITE_LT_COMPUTE_32F_FAST_TF32, CUBLAS_COMPUTE_32F_FAST_TF32);
SAME_VALUE(DENDRITE_LT_OP_N, CUBLAS_OP_N);
SAME_VALUE(DENDRITE_LT_OP_T, CUBLAS_OP_T);
SAME_VALUE(DENDRITE_LT_DESC_TRANSA, CUBLASLT_MATMUL_DESC_TRANSA);
SAME_VALUE(DENDRITE_LT_DESC_TRANSB, CUBLASLT_MATMUL_DESC_TRANSB);
SAME_VALUE(DENDRITE_LT_DESC_EPILOGUE, CUBLASLT_MATMUL_DESC_EPILOGUE);
SAME_VALUE(DENDRITE_LT_DESC_BIAS_POINTER, CUBLASLT_MATMUL_DESC_BIAS_POINTER);
SAME_VALUE(DENDRITE_LT_EPILOGUE_RELU, CUBLASLT_EPILOGUE_RELU);
SAME_VALUE(DENDRITE_LT_EPILOGUE_BIAS, CUBLASLT_EPILOGUE_BIAS);
SAME_VALUE(DENDRITE_LT_EPILOGUE_RELU_BIAS, CUBLASLT_EPILOGUE_RELU_BIAS);
SAME_VALUE(DENDRITE_LT_EPILOGUE_DEFAULT, CUBLASLT_EPILOGUE_DEFAULT);
SAME_VALUE(DENDRITE_LT_PREF_MAX_WORKSPACE_BYTES, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
SAME_VALUE(DENDRITE_LT_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES);
SAME_VALUE(DENDRITE_LT_PREF_MIN_ALIGNMENT_B_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES);
SAME_VALUE(DENDRITE_LT_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES);
SAME_VALUE(DENDRITE_LT_PREF_MIN_ALIGNMENT_D_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES);
SAME_VALUE(DENDRITE_LT_ALGO_CONFIG_ID, CUBLASLT_ALGO_CONFIG_ID);
SAME_VALUE(DENDRITE_LT_ALGO_CONFIG_TILE_ID, CUBLASLT_ALGO_CONFIG_TILE_ID);
SAME_VALUE(DENDRITE_LT_ALGO_CONFIG_SPLITK_NUM, CUBLASLT_ALGO_CONFIG_SPLITK_NUM);
SAME_VALUE(DENDRITE_LT_ALGO_CONFIG_REDUCTION_SCHEME, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME);
SAME_VALUE(DENDRITE_LT_ALGO_CONFIG_STAGES_ID, CUBLASLT_ALGO_CONFIG_STAGES_ID);
/* The sizes cublaslt.c passes to SetAttribute: cublasLt.h documents the transposes as int32_t and the epilogue as
 * uint32_t, the sizes of their enum types (the workspace bound's uint64_t is documented only in words) */
static_assert(sizeof(cublasOperation_t) == sizeof(int32_t) && sizeof(cublasLtEpilogue_t) == sizeof(uint32_t));

static_assert(sizeof(DendriteLtAlgo) == sizeof(cublasLtMatmulAlgo_t));
static_assert(sizeof(DendriteLtAlgo::data) == sizeof(cublasLtMatmulAlgo_t::data));
static_assert(sizeof(DendriteLtHeuristic) == sizeof(cublasLtMatmulHeuristicResult_t));
static_assert(alignof(DendriteLtHeuristic) == alignof(cublasLtMatmulHeuristicResult_t));
static_assert(offsetof(DendriteLtHeuristic, algo) == offsetof(cublasLtMatmulHeuristicResult_t, algo));
static_assert(offsetof(DendriteLtHeuristic, workspace_bytes) ==
              offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize));
static_assert(offsetof(DendriteLtHeuristic, state) == offsetof(cublasLtMatmulHeuristicResult_t, state));
static_assert(offsetof(DendriteLtHeuristic, waves_count) == offsetof(cublasLtMatmulHeuristicResult_t, wavesCount));
static_assert(offsetof(DendriteLtHeuristic, reserved) == offsetof(cublasLtMatmulHeuristicResult_t, reserved));
static_assert(sizeof(DendriteLtHeuristic::workspace_bytes) ==
              sizeof(cublasLtMatmulHeuristicResult_t::workspaceSize));
static_assert(sizeof(DendriteLtHeuristic::state) == sizeof(cublasLtMatmulHeuristicResult_t::state));
static_assert(sizeof(DendriteLtHeuristic::reserved) == sizeof(cublasLtMatmulHeuristicResult_t::reserved));
