package dev.dendrite.backend.cuda;

import dev.dendrite.backend.AbstractBuffer;
import dev.dendrite.backend.DType;
import jcuda.driver.CUdeviceptr;

/** Device memory allocated by a {@link CudaBackend}: one cuMemAlloc, freed by {@link #close()}. */
final class CudaBuffer extends AbstractBuffer<CudaBackend> {
    /** The allocation; a null device pointer for an empty buffer. */
    private final CUdeviceptr pointer;

    CudaBuffer(CudaBackend backend, DType dtype, int length, CUdeviceptr pointer) {
        super(backend, dtype, length);
        this.pointer = pointer;
    }

    /** Size of the allocation in bytes. */
    long bytes() {
        return (long) length() * dtype().bytes();
    }

    /** The base device pointer (null address for an empty buffer). */
    CUdeviceptr pointer() {
        return pointer;
    }

    /** The device address of element {@code index}. */
    CUdeviceptr at(int index) {
        return index == 0 ? pointer : pointer.withByteOffset((long) index * dtype().bytes());
    }

    /** Marks the buffer closed; whether it was open (so that its memory is freed once). */
    boolean markClosed() {
        return setClosed();
    }

    @Override
    public void close() {
        if (!isClosed()) {
            backend().release(this);
        }
    }
}
