package dev.dendrite.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import java.util.List;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * The second lane of a {@link CudaContext}: a stream with a cuBLAS handle and workspace of its own, where
 * {@link CudaBackend#branch} issues a branch's ops while a step is being recorded. An event recorded on the main
 * stream before the branch, and waited for by this stream, forks; one recorded here and waited for by the main
 * stream joins. Inside a capture those two waits are all the driver needs to give the graph two parallel paths:
 * a layer's weight-gradient product beside the product that carries the gradient to the layer before, which on
 * the course's networks are 5-10 us each and far too small to fill an H200 alone.
 *
 * <p>Everything here is created by {@link #prepare()} outside a capture (the engine issues every step once before
 * recording it), because creating a stream or a cuBLAS handle allocates. Outside captures the lane is idle.
 */
final class CudaSideLane {
    private final CudaContext ctx;
    private final CUstream stream = new CUstream();
    private final cublasHandle cublas = new cublasHandle();
    private final CUdeviceptr workspace = new CUdeviceptr();
    private final CUevent fork = new CUevent();
    private final CUevent join = new CUevent();
    private long workspaceBytes;
    private boolean streamCreated;
    private boolean cublasCreated;
    private boolean eventsCreated;
    private boolean ready;
    /** The ops are being issued here (inside {@link #issue}). */
    private boolean active;
    /** Something was issued here since the main stream last waited for this lane. */
    private boolean unjoined;

    CudaSideLane(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** Whether the lane exists: {@link #prepare()} succeeded. */
    boolean ready() {
        return ready;
    }

    /** Whether ops are being issued to this lane now: 1, the index of its GEMM work space; else 0. */
    int index() {
        return active ? 1 : 0;
    }

    /** This lane's cuBLAS workspace (allocated by {@link #prepare()}). */
    CUdeviceptr workspace() {
        return workspace;
    }

    /** Creates the stream, the cuBLAS handle on it with its own workspace, and the two events; once. */
    void prepare() {
        if (ready) {
            return;
        }
        ctx.noCapture("branch (creating the side stream)");
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        streamCreated = true;
        cuEventCreate(fork, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        cuEventCreate(join, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        eventsCreated = true;
        JCublas2.cublasCreate(cublas);
        cublasCreated = true;
        long bytes = ctx.cublasWorkspaceBytes();
        cuMemAlloc(workspace, bytes);
        workspaceBytes = bytes;
        ctx.memory.add(bytes);
        ctx.attachCublas(cublas, stream, workspace, bytes);
        cuStreamSynchronize(stream);
        ready = true;
    }

    /**
     * Issues {@code ops} on this lane after everything issued on the main stream so far; the main stream goes on
     * without waiting until {@link #join()}.
     */
    void issue(Runnable ops) {
        cuEventRecord(fork, ctx.mainStream);
        cuStreamWaitEvent(stream, fork, 0);
        unjoined = true;
        CUstream mainStream = ctx.stream;
        cublasHandle mainCublas = ctx.cublas;
        active = true;
        ctx.stream = stream;
        ctx.cublas = cublas;
        try {
            ops.run();
        } finally {
            active = false;
            ctx.stream = mainStream;
            ctx.cublas = mainCublas;
        }
    }

    /** Makes the main stream wait for what was issued here; nothing when it already did. */
    void join() {
        if (!unjoined) {
            return;
        }
        unjoined = false;
        cuEventRecord(join, stream);
        cuStreamWaitEvent(ctx.mainStream, join, 0);
    }

    /** Whether ops are issued here now (a branch inside a branch then runs in place). */
    boolean active() {
        return active;
    }

    void setMathMode(int mode) {
        if (cublasCreated) {
            JCublas2.cublasSetMathMode(cublas, mode);
        }
    }

    /** Frees what {@link #prepare()} created, noting failures in {@code problems}. */
    void release(List<String> problems) {
        if (streamCreated) {
            CudaContext.attempt(problems, "cuStreamSynchronize", () -> cuStreamSynchronize(stream));
        }
        if (cublasCreated) {
            CudaContext.attempt(problems, "cublasDestroy", () -> JCublas2.cublasDestroy(cublas));
            cublasCreated = false;
        }
        if (workspaceBytes > 0) {
            CudaContext.attempt(problems, "cuMemFree", () -> cuMemFree(workspace));
            ctx.memory.add(-workspaceBytes);
            workspaceBytes = 0;
        }
        if (eventsCreated) {
            CudaContext.attempt(problems, "cuEventDestroy", () -> cuEventDestroy(fork));
            CudaContext.attempt(problems, "cuEventDestroy", () -> cuEventDestroy(join));
            eventsCreated = false;
        }
        if (streamCreated) {
            CudaContext.attempt(problems, "cuStreamDestroy", () -> cuStreamDestroy(stream));
            streamCreated = false;
        }
        ready = false;
        unjoined = false;
    }
}
