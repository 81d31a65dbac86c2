package dev.dendrite.backend.cuda;

/**
 * A CUDA or cuBLAS call of the CUDA backend failed. The message names the op, its shapes and the CUDA error,
 * e.g. {@code "cuda gemm(transA=false, transB=true, m=128, n=512, k=784) failed: CUDA_ERROR_ILLEGAL_ADDRESS"}.
 */
public class CudaBackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaBackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
