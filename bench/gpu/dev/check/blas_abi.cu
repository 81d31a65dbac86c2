/*
 * blas_abi.cu - a compile-time check of the cuBLAS and cuBLASLt entry points that common.cuh declares by hand (the
 * machine that builds the explorations has no cuBLAS headers; they open the libraries at run time). Compiled against
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

SAME_CALL(CublasLt, create, cublasLtCreate);
SAME_CALL(CublasLt, desc_create, cublasLtMatmulDescCreate);
SAME_CALL(CublasLt, desc_destroy, cublasLtMatmulDescDestroy);
SAME_CALL(CublasLt, desc_set, cublasLtMatmulDescSetAttribute);
SAME_CALL(CublasLt, layout_create, cublasLtMatrixLayoutCreate);
SAME_CALL(CublasLt, layout_destroy, cublasLtMatrixLayoutDestroy);
SAME_CALL(CublasLt, pref_create, cublasLtMatmulPreferenceCreate);
SAME_CALL(CublasLt, pref_destroy, cublasLtMatmulPreferenceDestroy);
SAME_CALL(CublasLt, pref_set, cublasLtMatmulPreferenceSetAttribute);
SAME_CALL(CublasLt, heuristic, cublasLtMatmulAlgoGetHeuristic);
SAME_CALL(CublasLt, matmul, cublasLtMatmul);
SAME_CALL(CublasLt, status_string, cublasLtGetStatusString);

static_assert(sizeof(LtAlgo) == sizeof(cublasLtMatmulAlgo_t));
static_assert(sizeof(LtHeuristic) == sizeof(cublasLtMatmulHeuristicResult_t));
static_assert(offsetof(LtHeuristic, workspace_bytes) == offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize));
static_assert(offsetof(LtHeuristic, state) == offsetof(cublasLtMatmulHeuristicResult_t, state));
static_assert(offsetof(LtHeuristic, waves) == offsetof(cublasLtMatmulHeuristicResult_t, wavesCount));

static_assert(CublasLt::COMPUTE_32F == CUBLAS_COMPUTE_32F && CublasLt::R_32F == CUDA_R_32F);
static_assert(CublasLt::DESC_TRANSA == CUBLASLT_MATMUL_DESC_TRANSA);
static_assert(CublasLt::DESC_TRANSB == CUBLASLT_MATMUL_DESC_TRANSB);
static_assert(CublasLt::DESC_EPILOGUE == CUBLASLT_MATMUL_DESC_EPILOGUE);
static_assert(CublasLt::DESC_BIAS_POINTER == CUBLASLT_MATMUL_DESC_BIAS_POINTER);
static_assert(CublasLt::DESC_AUX_POINTER == CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER);
static_assert(CublasLt::DESC_AUX_LD == CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD);
static_assert(CublasLt::EPI_DEFAULT == CUBLASLT_EPILOGUE_DEFAULT);
static_assert(CublasLt::EPI_RELU_BIAS == CUBLASLT_EPILOGUE_RELU_BIAS);
static_assert(CublasLt::EPI_RELU_AUX_BIAS == CUBLASLT_EPILOGUE_RELU_AUX_BIAS);
static_assert(CublasLt::EPI_DRELU_BGRAD == CUBLASLT_EPILOGUE_DRELU_BGRAD);
static_assert(CublasLt::EPI_BGRADA == CUBLASLT_EPILOGUE_BGRADA);
static_assert(CublasLt::PREF_MAX_WORKSPACE_BYTES == CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
/* The values the explorations pass as plain ints */
static_assert(CUBLAS_OP_N == 0 && CUBLAS_OP_T == 1 && sizeof(cublasOperation_t) == 4);
static_assert(CUBLAS_COMPUTE_32F_FAST_TF32 == 77 && CUDA_R_32F == 0);
