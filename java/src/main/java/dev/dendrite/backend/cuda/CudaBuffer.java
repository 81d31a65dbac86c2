package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import jcuda.driver.CUdeviceptr;

/** Device memory allocated by a {@link CudaBackend}: one cuMemAlloc, freed by {@link #close()}. */
final class CudaBuffer implements Buffer {
    private final CudaBackend backend;
    private final DType dtype;
    private final int length;
    /** The allocation; a null device pointer for an empty buffer. */
    private final CUdeviceptr pointer;
    private volatile boolean closed;

    CudaBuffer(CudaBackend backend, DType dtype, int length, CUdeviceptr pointer) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        this.pointer = pointer;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int length() {
        return length;
    }

    /** Size of the allocation in bytes. */
    long bytes() {
        return (long) length * dtype.bytes();
    }

    /** The base device pointer (null address for an empty buffer). */
    CUdeviceptr pointer() {
        return pointer;
    }

    /** The device address of element {@code index}. */
    CUdeviceptr at(int index) {
        return index == 0 ? pointer : pointer.withByteOffset((long) index * dtype.bytes());
    }

    boolean isClosed() {
        return closed;
    }

    void markClosed() {
        closed = true;
    }

    @Override
    public void close() {
        if (!closed) {
            backend.release(this);
        }
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + dtype + " x " + length + (closed ? ", closed]" : "]");
    }
}
