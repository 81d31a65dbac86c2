package dev.dendrite.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * Run in its own JVM by {@link CublasForwardingLibraryTest}: loads cuBLAS the way {@link CudaBackend} does and
 * makes a few JCublas2 calls, which a stand-in cuBLAS 13 (named by $DENDRITE_CUBLAS) answers. Exits non-zero on
 * any failure.
 */
public final class CublasForwardingProbe {
    private CublasForwardingProbe() {
    }

    public static void main(String[] args) {
        System.out.println("route=" + CudaLibraries.loadCublas());
        JCublas2.setExceptionsEnabled(true);
        cublasHandle handle = new cublasHandle();
        JCublas2.cublasCreate(handle);
        int[] version = new int[1];
        JCublas2.cublasGetVersion(handle, version);
        System.out.println("version=" + version[0]);
        // Addresses the stand-in recognises; nothing is dereferenced but alpha and beta (host memory).
        CUdeviceptr a = new CUdeviceptr().withByteOffset(0xA0);
        CUdeviceptr b = new CUdeviceptr().withByteOffset(0xB0);
        CUdeviceptr c = new CUdeviceptr().withByteOffset(0xC0);
        JCublas2.cublasSgemm(handle, 1, 0, 3, 4, 5, Pointer.to(new float[] {2f}), a, 6, b, 7,
                Pointer.to(new float[] {0.5f}), c, 8);
        System.out.println("sgemm=ok");
        JCublas2.cublasDestroy(handle);
    }
}
