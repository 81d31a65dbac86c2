package dev.dendrite.backend.cuda;

/**
 * The GPU has not enough free memory for an allocation. Nothing was allocated and the backend stays usable:
 * free buffers (or use a smaller batch or model) and try again. The message gives the bytes requested and the
 * device's free and total memory.
 */
public class CudaOutOfMemoryException extends CudaBackendException {
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long freeBytes;
    private final long totalBytes;

    public CudaOutOfMemoryException(String message, long requestedBytes, long freeBytes, long totalBytes,
                                    Throwable cause) {
        super(message, cause);
        this.requestedBytes = requestedBytes;
        this.freeBytes = freeBytes;
        this.totalBytes = totalBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    /** Free device memory when the allocation failed, or -1 if it could not be queried. */
    public long freeBytes() {
        return freeBytes;
    }

    /** Total device memory, or -1 if it could not be queried. */
    public long totalBytes() {
        return totalBytes;
    }
}
