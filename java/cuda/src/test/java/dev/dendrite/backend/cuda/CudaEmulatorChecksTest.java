package dev.dendrite.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.function.Consumer;

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
import jcuda.driver.CUgraphExec;
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
    private static CUmodule module;

    @BeforeAll
    static void open() {
        backend = CudaTestSupport.backendOrSkip(CudaEmulatorChecksTest.class);
        assumeTrue(CudaTestSupport.emulated(backend), "checks of native/emulator, and this is " + backend.deviceName());
        module = new CUmodule();
        cuModuleLoadData(module, CudaLibraries.fatbin());
    }

    @AfterAll
    static void close() {
        if (module != null) {
            cuModuleUnload(module);
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** The fatbin's kernel of that name. */
    private static CUfunction kernel(String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    private static void assertRefused(String error, Runnable call) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertTrue(e.getMessage().contains(error), "expected " + error + ", got " + e.getMessage());
    }

    /**
     * The emulator builds libcublasLt.so.13 beside the driver, so the backend must have opened it there: otherwise
     * CudaGemmTest's cuBLASLt test, which skips where cuBLASLt cannot be had, would skip in every CI run.
     */
    @Test
    void theBackendOpensTheEmulatedCublasLt() {
        assumeTrue(CudaTestSupport.on("dendrite.cuda.lt"), "-Ddendrite.cuda.lt=false: cuBLASLt is not opened");
        assertTrue(backend.description().contains(", cuBLASLt,"), backend.description());
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
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, 64);
        try {
            assertRefused("CUDA_ERROR_STREAM_CAPTURE_UNJOINED", () -> captureForked(
                    s -> cuMemsetD32Async(p, 1, 8, s), s -> cuMemsetD32Async(p.withByteOffset(32), 2, 8, s), false));
        } finally {
            cuMemFree(p);
        }
    }

    @Test
    void aLaunchPastTheKernelsLaunchBoundsIsRefused() {
        CUfunction f = kernel("gemm_small_nn"); // __launch_bounds__ of 256 threads
        Pointer[] zeros = new Pointer[9];
        for (int i = 0; i < zeros.length; i++) {
            zeros[i] = Pointer.to(new long[1]);
        }
        assertRefused("CUDA_ERROR_INVALID_VALUE",
                () -> cuLaunchKernel(f, 1, 1, 1, 1024, 1, 1, 0, null, Pointer.to(zeros), null));
    }

    /**
     * The first launch of a graph is checked for races: two nodes that no path of the graph orders may not touch the
     * same bytes with one of them writing, since on a GPU they may run at once (the emulator runs them one after the
     * other, which hides it). A kernel's reads and writes are seen through its instrumentation, so both directions
     * are tried against the same kernel, and a side path that touches other memory is the control.
     */
    @Test
    void twoPathsOfAGraphThatTouchTheSameMemoryAreARace() {
        CUdeviceptr w = new CUdeviceptr();
        CUdeviceptr grad = new CUdeviceptr();
        CUdeviceptr other = new CUdeviceptr();
        cuMemAlloc(w, 64);
        cuMemAlloc(grad, 64);
        cuMemAlloc(other, 64);
        try {
            CUfunction f = kernel("regularizer_gradient"); // grad[i] += l1 sign(w[i]) + 2 l2 w[i]
            Pointer params = Pointer.to(Pointer.to(w), Pointer.to(grad), Pointer.to(new int[] {16}),
                    Pointer.to(new float[] {0.01f}), Pointer.to(new float[] {0.01f}));
            Consumer<CUstream> kernel = s -> cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, s, params, null);
            captureForked(kernel, s -> cuMemsetD32Async(other, 0, 16, s), true); // disjoint: no race
            assertRefused("CUDA_ERROR_LAUNCH_FAILED", () -> captureForked(kernel,
                    s -> cuMemsetD32Async(w, 0, 16, s), true)); // writes what the kernel reads
            assertRefused("CUDA_ERROR_LAUNCH_FAILED", () -> captureForked(kernel,
                    s -> cuMemcpyDtoDAsync(other, grad, 64, s), true)); // reads what it writes
        } finally {
            cuMemFree(w);
            cuMemFree(grad);
            cuMemFree(other);
        }
    }

    /**
     * The first launch of each configuration of a kernel is checked for races between its blocks: here column_sums
     * (a block per 32 columns) writes its sums over the next block's first row, which that block reads. The control,
     * column sums of three blocks (a configuration the race did not use) into a buffer of their own, runs on the
     * same context afterwards.
     */
    @Test
    void blocksOfOneKernelThatTouchTheSameMemoryAreARace() {
        CUdeviceptr x = new CUdeviceptr();
        CUdeviceptr apart = new CUdeviceptr();
        cuMemAlloc(x, 2 * 64 * 4);
        cuMemAlloc(apart, 96 * 4);
        try {
            cuMemsetD32Async(x, 0, 2 * 64, null);
            CUfunction f = kernel("column_sums"); // out[c] = sum over r of x[r, c]
            ColumnSums sums = (rows, cols, out) -> {
                cuLaunchKernel(f, cols / 32, 1, 1, 32, 32, 1, 0, null, Pointer.to(Pointer.to(x),
                        Pointer.to(new int[] {rows}), Pointer.to(new int[] {cols}), Pointer.to(out)), null);
                cuStreamSynchronize(null);
            };
            // block 0 writes columns 32-63 of row 0, which block 1 reads
            assertRefused("CUDA_ERROR_LAUNCH_FAILED", () -> sums.run(2, 64, x.withByteOffset(32 * 4)));
            sums.run(1, 96, apart);
        } finally {
            cuMemFree(x);
            cuMemFree(apart);
        }
    }

    private interface ColumnSums {
        void run(int rows, int cols, CUdeviceptr out);
    }

    /**
     * The same between the threads of one block: regularizer_gradient (grad[i] += f(w[i]), a thread per i) with grad
     * one element past w, so thread i writes the word thread i + 1 reads, with no barrier between; one block (of 64
     * threads: a configuration no other test launches, since only the first launch of each is checked).
     */
    @Test
    void threadsOfOneBlockThatTouchTheSameWordWithoutABarrierAreARace() {
        CUdeviceptr w = new CUdeviceptr();
        cuMemAlloc(w, 17 * 4);
        try {
            cuMemsetD32Async(w, 0, 17, null);
            CUfunction f = kernel("regularizer_gradient");
            assertRefused("CUDA_ERROR_LAUNCH_FAILED", () -> {
                cuLaunchKernel(f, 1, 1, 1, 64, 1, 1, 0, null, Pointer.to(Pointer.to(w), Pointer.to(w.withByteOffset(4)),
                        Pointer.to(new int[] {16}), Pointer.to(new float[] {0.01f}), Pointer.to(new float[] {0.01f})),
                        null);
                cuStreamSynchronize(null);
            });
        } finally {
            cuMemFree(w);
        }
    }

    /**
     * Captures main's work and a side stream's beside it (forked after main's first memset), then, if join, joins
     * the side stream back, ends the capture and launches the graph once.
     */
    private static void captureForked(Consumer<CUstream> mainWork, Consumer<CUstream> sideWork, boolean join) {
        CUstream main = new CUstream();
        CUstream side = new CUstream();
        CUevent fork = new CUevent();
        CUevent joined = new CUevent();
        CUdeviceptr first = new CUdeviceptr();
        CUgraph graph = new CUgraph();
        CUgraphExec exec = new CUgraphExec();
        cuStreamCreate(main, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuStreamCreate(side, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(fork, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        cuEventCreate(joined, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        cuMemAlloc(first, 4);
        boolean captured = false;
        boolean instantiated = false;
        try {
            cuStreamBeginCapture(main, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            cuMemsetD32Async(first, 0, 1, main);
            cuEventRecord(fork, main);
            cuStreamWaitEvent(side, fork, 0);
            mainWork.accept(main);
            sideWork.accept(side);
            if (join) {
                cuEventRecord(joined, side);
                cuStreamWaitEvent(main, joined, 0);
            }
            cuStreamEndCapture(main, graph);
            captured = true;
            cuGraphInstantiate(exec, graph, 0L);
            instantiated = true;
            cuGraphLaunch(exec, main);
            cuStreamSynchronize(main);
        } finally {
            if (instantiated) {
                cuGraphExecDestroy(exec);
            }
            if (captured) {
                cuGraphDestroy(graph);
            }
            cuMemFree(first);
            cuEventDestroy(joined);
            cuEventDestroy(fork);
            cuStreamDestroy(side);
            cuStreamDestroy(main);
        }
    }
}
