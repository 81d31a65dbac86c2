package dev.dendrite.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;

/**
 * The checks of native/emulator itself, which the rest of the CUDA suite relies on when it runs there: a mistake the
 * GPU would refuse must be refused by the emulator too, or the suite's run on it proves less than it says. Only the
 * checks that leave the context usable are here (an out-of-bounds kernel loses it for the rest of the JVM, as on a
 * GPU). Skipped, saying so, on a real GPU, whose driver need not refuse them the same way (a copy past an allocation's
 * end may land in the next one there).
 */
class CudaEmulatorChecksTest {
    private static CudaBackend backend;

    @BeforeAll
    static void open() {
        backend = CudaTestSupport.backendOrSkip(CudaEmulatorChecksTest.class);
        assumeTrue(CudaTestSupport.emulated(backend), "checks of native/emulator, and this is " + backend.deviceName());
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static void assertRefused(String error, Runnable call) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertTrue(e.getMessage().contains(error), "expected " + error + ", got " + e.getMessage());
    }

    @Test
    void aCopyPastTheEndOfAnAllocationIsRefused() {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, 64);
        try {
            assertRefused("CUDA_ERROR_INVALID_VALUE",
                    () -> cuMemcpyHtoDAsync(p, Pointer.to(new float[17]), 68, null));
            assertRefused("CUDA_ERROR_INVALID_VALUE", () -> cuMemsetD32Async(p.withByteOffset(4), 0, 16, null));
            cuMemsetD32Async(p, 0, 16, null); // the whole allocation, exactly
        } finally {
            cuMemFree(p);
        }
    }

    @Test
    void aCaptureWhoseForkIsNotJoinedBackFailsAsCudasDoes() {
        CUstream main = new CUstream();
        CUstream side = new CUstream();
        CUevent fork = new CUevent();
        CUdeviceptr p = new CUdeviceptr();
        cuStreamCreate(main, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuStreamCreate(side, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(fork, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        cuMemAlloc(p, 64);
        try {
            cuStreamBeginCapture(main, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            cuMemsetD32Async(p, 1, 8, main);
            cuEventRecord(fork, main);
            cuStreamWaitEvent(side, fork, 0);
            cuMemsetD32Async(p.withByteOffset(32), 2, 8, side); // never joined back into main
            assertRefused("CUDA_ERROR_STREAM_CAPTURE_UNJOINED", () -> cuStreamEndCapture(main, new CUgraph()));
        } finally {
            cuMemFree(p);
            cuEventDestroy(fork);
            cuStreamDestroy(side);
            cuStreamDestroy(main);
        }
    }

    @Test
    void aLaunchPastTheKernelsLaunchBoundsIsRefused() {
        CUmodule module = new CUmodule();
        cuModuleLoadData(module, CudaLibraries.fatbin());
        try {
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, module, "gemm_small_nn"); // __launch_bounds__ of 256 threads
            Pointer[] zeros = new Pointer[9];
            for (int i = 0; i < zeros.length; i++) {
                zeros[i] = Pointer.to(new long[1]);
            }
            assertRefused("CUDA_ERROR_INVALID_VALUE",
                    () -> cuLaunchKernel(f, 1, 1, 1, 1024, 1, 1, 0, null, Pointer.to(zeros), null));
        } finally {
            cuModuleUnload(module);
        }
    }
}
